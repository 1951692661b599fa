// 1:1 texts between the real Baileys socket and simulated contacts, Signal-encrypted both ways.
import { proto } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import { connect, openPaired, simulatorPerTest, textOf, until, type Client } from './harness.js'

const PHONE = '5511999990001'
const CONTACT = '5511988887777'
const newSimulator = simulatorPerTest()

function statusOf(client: Client, id: string): number | undefined {
  const fromUpdates = client.messageUpdates.filter((update) => update.key.id === id).map((update) => update.update.status)
  const fromUpserts = client.upserts.flatMap((upsert) => upsert.messages).filter((message) => message.key.id === id).map((message) => message.status)
  return Math.max(...[...fromUpdates, ...fromUpserts].map((status) => status ?? 0))
}

function upsertWithText(client: Client, text: string) {
  return until(() => client.upserts.find((upsert) => textOf(upsert).includes(text)))
}

describe('messages', () => {
  it("a contact's text arrives as messages.upsert (notify), decrypted from the device's own pre-key", async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT, { pushName: 'Maria' })
    const preKeysBefore = sim.devices()[0]!.preKeys

    const sent = await contact.sendText(PHONE, 'olá, device')
    expect(sent).toEqual({ id: expect.any(String), sent: [client.auth.state.creds.me!.id], queued: [] })
    const upsert = await upsertWithText(client, 'olá, device')
    expect(upsert.type).toBe('notify')
    const [message] = upsert.messages
    expect(message!.key).toMatchObject({ id: sent.id, fromMe: false, remoteJid: contact.jid, remoteJidAlt: contact.lid })
    expect(message!.pushName).toBe('Maria')
    // The first message opened the Signal session with one of the device's uploaded one-time pre-keys.
    expect(sim.devices()[0]!.preKeys).toBe(preKeysBefore - 1)

    await contact.sendText(`${PHONE}@s.whatsapp.net`, 'second')
    expect((await upsertWithText(client, 'second')).messages[0]!.key.remoteJid).toBe(contact.jid)
  })

  it('the socket sends a text: the contact decrypts it and answers with a delivery receipt', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT)

    const message = await client.sock.sendMessage(contact.jid, { text: 'hello contact' })
    const received = await contact.waitForMessage('hello contact')
    expect(received).toMatchObject({ id: message!.key.id, from: client.auth.state.creds.me!.id, chat: contact.jid, encryption: 'pkmsg' })
    expect(contact.received()).toEqual(['hello contact'])
    // The receipt from the contact's phone becomes a delivery status on the sent message.
    // Baileys folds a status into the buffered upsert of the sent message when both are still
    // in its event buffer, and emits messages.update otherwise: either way the status is there.
    await until(() => statusOf(client, message!.key.id!) === proto.WebMessageInfo.Status.DELIVERY_ACK)
  })

  it('a conversation goes on both ways over the same sessions', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT)
    for (let round = 1; round <= 3; round++) {
      await contact.sendText(PHONE, `ping ${round}`)
      await upsertWithText(client, `ping ${round}`)
      await client.sock.sendMessage(contact.jid, { text: `pong ${round}` })
      await contact.waitForMessage(`pong ${round}`)
    }
    expect(contact.received()).toEqual(['pong 1', 'pong 2', 'pong 3'])
    // Once the contact has answered on the device's session, the device sends plain Signal messages.
    expect(contact.messages().at(-1)!.encryption).toBe('msg')
    const fromContact = client.upserts.filter((upsert) => upsert.type === 'notify').flatMap(textOf)
    expect(fromContact).toEqual(expect.arrayContaining(['ping 1', 'ping 2', 'ping 3']))
  })

  it('texts sent while the device is offline wait for its next login and arrive as append', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await client.sock.end(undefined)
    await until(() => !sim.devices()[0]!.connected)

    const contact = sim.contact(CONTACT)
    const sent = await contact.sendText(PHONE, 'while you were away')
    expect(sent.queued).toEqual([client.auth.state.creds.me!.id])
    expect(sim.devices()[0]!.offlineQueue).toBe(1)

    const back = connect(sim, client.auth)
    await back.opened
    const upsert = await upsertWithText(back, 'while you were away')
    expect(upsert.type).toBe('append')
    expect(sim.devices()[0]!.offlineQueue).toBe(0)
  })

  it('two linked devices of one number: both get contact texts, each sees what the other sends, app state syncs', async () => {
    const sim = await newSimulator()
    const first = await openPaired(sim, PHONE)
    const second = await openPaired(sim, PHONE)
    expect(sim.devices().map((device) => device.jid)).toEqual([first.auth.state.creds.me!.id, second.auth.state.creds.me!.id])
    const contact = sim.contact(CONTACT)

    const sent = await contact.sendText(PHONE, 'to both')
    expect(sent.sent).toHaveLength(2)
    await Promise.all([upsertWithText(first, 'to both'), upsertWithText(second, 'to both')])

    // The first device's send fans out to the contact and, as a device-sent copy, to the second.
    const message = await first.sock.sendMessage(contact.jid, { text: 'from the first' })
    await contact.waitForMessage('from the first')
    const copy = (await upsertWithText(second, 'from the first')).messages[0]!
    expect(copy.key).toMatchObject({ id: message!.key.id, fromMe: true, remoteJid: contact.jid })

    // A patch pushed by one device reaches the other through a server_sync notification.
    await first.sock.chatModify({ pushNameSetting: 'Bia' }, '')
    await until(() => second.auth.state.creds.me?.name === 'Bia')
  })

  it('onWhatsApp knows simulated numbers and nothing else', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    sim.contact(CONTACT)
    expect(await client.sock.onWhatsApp(CONTACT, '5511900000000')).toEqual([{ jid: `${CONTACT}@s.whatsapp.net`, exists: true }])
  })

  it('a contact cannot write to a number that is not on the simulated network', async () => {
    const sim = await newSimulator()
    await expect(sim.contact(CONTACT).sendText('5511900000000', 'anyone?')).rejects.toMatchObject({ code: 'SEND_FAILED' })
    await expect(sim.contact(CONTACT).sendText('not a phone', 'x')).rejects.toMatchObject({ code: 'INVALID_PHONE' })
  })
})
