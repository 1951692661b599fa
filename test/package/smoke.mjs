// Runs against the installed tarball (scripts/check-package.sh): the ESM entry points work.
import assert from 'node:assert/strict'
import { SessionManager, WafleetError, createMemoryStorage, useStorageAuthState } from 'wafleet'
import { createMockSocketFactory } from 'wafleet/testing'

const mock = createMockSocketFactory()
const manager = new SessionManager({ storage: createMemoryStorage(), socketFactory: mock.factory, logger: undefined })
await manager.start()
const session = await manager.create({ name: 'esm' })
await session.connect()
await session.waitFor('qr')
mock.scan(session.id, { phoneNumber: '5511999990001' })
await session.waitFor('connected')
const sent = await session.sendText('5511988887777', 'hello from ESM')
assert.equal(sent.key.remoteJid, '5511988887777@s.whatsapp.net')
await assert.rejects(session.sendText('nope', 'x'), (error) => error instanceof WafleetError && error.code === 'INVALID_RECIPIENT')
const { state } = await useStorageAuthState(createMemoryStorage(), 'plain-baileys')
assert.equal(typeof state.keys.get, 'function')
await manager.stop()
console.log('ESM smoke test passed')
