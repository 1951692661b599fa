// Runs against the installed tarball (scripts/check-package.sh): the ESM entry points work.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { SessionManager, WafleetError, createMemoryStorage, useStorageAuthState } from 'wafleet'
import { webhooks } from 'wafleet/plugins/webhooks'
import { createMockSocketFactory } from 'wafleet/testing'

// A webhook receiver: the plugin's HTTP client comes from the package's own dependencies.
const received = []
const receiver = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    received.push(req.headers['x-wafleet-event'])
    res.statusCode = 204
    res.end()
  })
})
receiver.listen(0, '127.0.0.1')
await once(receiver, 'listening')
const url = `http://127.0.0.1:${receiver.address().port}/hook`

const mock = createMockSocketFactory()
const manager = new SessionManager({
  storage: createMemoryStorage(),
  socketFactory: mock.factory,
  logger: undefined,
  plugins: [webhooks({ endpoints: [{ url, events: ['session.created'] }] })],
})
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
for (const guard = Date.now() + 10_000; !received.length; ) {
  assert.ok(Date.now() < guard, 'the session.created webhook arrived')
  await new Promise((resolve) => setTimeout(resolve, 20))
}
assert.deepEqual(received, ['session.created'])
await manager.stop()
receiver.close()
console.log('ESM smoke test passed')
