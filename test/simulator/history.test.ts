// The phone's first history sync: the chats given to the pairing reach Baileys as
// messaging-history.set (chats, and the contacts Baileys derives from them, with their LIDs).
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import { connect, freshAuth, simulatorPerTest, until } from './harness.js'

const PHONE = '5511999990001'
const newSimulator = simulatorPerTest()

describe('history sync', () => {
  it('a new device gets the chats the phone has: 1:1 chats become contacts with names and LIDs, groups stay chats', async () => {
    const sim = await newSimulator()
    const ana = sim.contact('5511900000001', { pushName: 'Ana' })
    const auth = await freshAuth()
    const pairing = connect(sim, auth)
    const history = {
      chats: [
        { jid: ana.jid, name: 'Ana (work)' },
        { jid: '+55 11 90000-0002', name: 'Bruno' },
        { jid: '120363000000000001@g.us', name: 'Family' },
      ],
    }
    await sim.scanQr(await pairing.qr, { phone: PHONE, history })
    await pairing.closed

    const client = connect(sim, auth)
    const sets: BaileysEventMap['messaging-history.set'][] = []
    client.sock.ev.on('messaging-history.set', (set) => sets.push(set))
    await client.opened
    const set = await until(() => sets.find((candidate) => candidate.chats.length > 0))
    expect(set.chats.map((chat) => [chat.id, chat.name])).toEqual([
      [ana.jid, 'Ana (work)'],
      ['5511900000002@s.whatsapp.net', 'Bruno'],
      ['120363000000000001@g.us', 'Family'],
    ])
    // The contact on the simulated network comes with its LID; the other number is not on WhatsApp here.
    expect(set.contacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: ana.jid, name: 'Ana (work)', lid: ana.lid }),
        expect.objectContaining({ id: '5511900000002@s.whatsapp.net', name: 'Bruno' }),
      ]),
    )
    expect(set.messages).toEqual([])
  })

  it('refuses chats that are neither a number nor a group before pairing anything', async () => {
    const sim = await newSimulator()
    const pairing = connect(sim, await freshAuth())
    const qr = await pairing.qr
    await expect(sim.scanQr(qr, { phone: PHONE, history: { chats: [{ jid: 'nobody' }] } })).rejects.toMatchObject({ code: 'INVALID_PHONE' })
    expect(sim.devices()).toEqual([])
  })
})
