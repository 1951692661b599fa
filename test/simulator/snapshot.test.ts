// A simulator saved with snapshot() and started again with { restore }: linked devices log in
// without a QR, the Signal sessions between them and the phones go on, queued stanzas arrive.
import { afterEach, describe, expect, it } from 'vitest'
import { startWhatsAppSimulator, type SimulatorSnapshot, type WhatsAppSimulator } from '../../src/testing/index.js'
import { connect, logger, openPaired, simulatorPerTest, textOf, until, type Client } from './harness.js'

const PHONE = '5511999990001'
const CONTACT = '5511988887777'
const newSimulator = simulatorPerTest()

const restarted: WhatsAppSimulator[] = []
afterEach(async () => {
  for (const sim of restarted.splice(0)) await sim.close()
})
/** A new simulator from a snapshot, trusted like the first one. */
async function restartFrom(saved: SimulatorSnapshot): Promise<WhatsAppSimulator> {
  const sim = await startWhatsAppSimulator({ logger: logger.child({ side: 'simulator' }), restore: saved })
  sim.trust()
  restarted.push(sim)
  return sim
}

const upsertWithText = (client: Client, text: string) => until(() => client.upserts.find((upsert) => textOf(upsert).includes(text)))

describe('snapshot and restore', () => {
  it('after a restart from a snapshot the device logs in without a QR and the conversation goes on', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT, { pushName: 'Maria' })
    await contact.sendText(PHONE, 'before')
    await upsertWithText(client, 'before')
    await client.sock.sendMessage(contact.jid, { text: 'answer before' })
    await contact.waitForMessage('answer before')
    await client.sock.end(undefined)
    // Only JSON crosses the restart, as through a file.
    const saved = JSON.parse(JSON.stringify(await sim.snapshot())) as SimulatorSnapshot
    const devices = sim.devices()
    await sim.close()

    const sim2 = await restartFrom(saved)
    expect(sim2.devices()).toEqual(devices.map((device) => ({ ...device, connected: false })))
    const back = connect(sim2, client.auth)
    await back.opened
    expect(back.updates.some((update) => update.qr)).toBe(false)

    // Same phone, same Signal sessions: the contact writes on its session (no new one-time pre-key
    // of the device is taken), and it decrypts the device's answer with the keys it had before.
    const sameContact = sim2.contact(CONTACT)
    expect(sameContact.lid).toBe(contact.lid)
    const preKeys = sim2.devices()[0]!.preKeys
    await sameContact.sendText(PHONE, 'after')
    const upsert = await upsertWithText(back, 'after')
    expect(upsert.messages[0]!.pushName).toBe('Maria')
    await back.sock.sendMessage(sameContact.jid, { text: 'answer after' })
    await sameContact.waitForMessage('answer after')
    expect(sim2.devices()[0]!.preKeys).toBe(preKeys)
  })

  it('keeps what waits in a device offline queue', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await client.sock.end(undefined)
    await until(() => !sim.devices()[0]!.connected)
    await sim.contact(CONTACT).sendText(PHONE, 'while the server restarts')
    const saved = await sim.snapshot()
    await sim.close()

    const sim2 = await restartFrom(saved)
    expect(sim2.devices()[0]!.offlineQueue).toBe(1)
    const back = connect(sim2, client.auth)
    await back.opened
    expect((await upsertWithText(back, 'while the server restarts')).type).toBe('append')
  })

  it('refuses something that is not a snapshot', async () => {
    const start = (restore: unknown) => startWhatsAppSimulator({ logger, restore: restore as never })
    await expect(start({ format: 'other' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    await expect(start({ format: 'wafleet-simulator/1', savedAt: '', accounts: [{ phone: '1' }] })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
  })
})
