// wafleet's SessionManager over the real Baileys socket and the simulator: the whole stack, no mock.
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import { afterEach, expect, it } from 'vitest'
import { SessionManager, createMemoryStorage } from '../../src/index.js'
import { logger, simulatorPerTest, textOf, until } from './harness.js'

const PHONE = '5511999990001'
const newSimulator = simulatorPerTest()
const managers: SessionManager[] = []
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.stop()
})

it('a session pairs by QR, reconnects after 515, exchanges texts, and is logged out on device removal', async () => {
  const sim = await newSimulator()
  const storage = createMemoryStorage()
  const manager = new SessionManager({
    storage,
    logger: logger.child({ side: 'manager' }),
    baileys: { waWebSocketUrl: sim.url },
    reconnect: { minDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 },
  })
  managers.push(manager)
  await manager.start()
  const session = await manager.create({ name: 'bot' })
  await session.connect()
  await session.waitFor('qr', 10_000)

  await sim.scanQr(session.qr!.value, { phone: PHONE })
  await session.waitFor('connected', 10_000)
  expect(session.phoneNumber).toBe(PHONE)
  expect(session.lastDisconnect).toMatchObject({ code: 515 })

  const upserts: BaileysEventMap['messages.upsert'][] = []
  session.on('messages.upsert', (upsert) => upserts.push(upsert))
  const contact = sim.contact('5511988887777')
  await contact.sendText(PHONE, 'hi bot')
  await until(() => upserts.find((upsert) => upsert.type === 'notify' && textOf(upsert).includes('hi bot')))

  await session.sendText(contact.phone, 'hi human')
  await contact.waitForMessage('hi human')

  await sim.fault(PHONE, 'logged-out')
  await session.waitFor('logged_out', 10_000)
  expect(session.isPaired).toBe(false)
})
