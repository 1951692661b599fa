// Runs against the installed tarball (scripts/check-package.sh): the CommonJS entry points work.
const assert = require('node:assert/strict')
const { SessionManager, WafleetError, createMemoryStorage } = require('wafleet')
const { createMockSocketFactory } = require('wafleet/testing')

async function main() {
  const mock = createMockSocketFactory()
  const manager = new SessionManager({ storage: createMemoryStorage(), socketFactory: mock.factory })
  await manager.start()
  const session = await manager.create({ name: 'cjs' })
  await session.connect()
  await session.waitFor('qr')
  mock.scan(session.id, { phoneNumber: '5511999990002' })
  await session.waitFor('connected')
  const sent = await session.sendText('5511988887777', 'hello from CommonJS')
  assert.equal(sent.key.remoteJid, '5511988887777@s.whatsapp.net')
  await assert.rejects(manager.create({ name: 'cjs' }), (error) => error instanceof WafleetError && error.code === 'SESSION_NAME_TAKEN')
  await manager.stop()
  console.log('CommonJS smoke test passed')
}
main().catch((error) => {
  console.error(error)
  process.exit(1)
})
