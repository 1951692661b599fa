import { describe, expect, it } from 'vitest'
import { pairedSession, recordStatuses, startManager } from '../helpers/manager.js'

describe('smoke', () => {
  it('pairs, sends and receives', async () => {
    const h = await startManager()
    const s = await h.manager.create({ name: 'a' })
    const statuses = recordStatuses(s)
    await s.connect()
    await s.waitFor('qr', 2000)
    expect(s.qr?.value).toBeTruthy()
    h.mock.scan(s.id, { phoneNumber: '5511999990001' })
    await s.waitFor('connected', 2000)
    expect(statuses).toEqual(['starting', 'qr', 'starting', 'connected'])
    expect(s.phoneNumber).toBe('5511999990001')
    const msg = await s.sendText('+55 11 98888-7777', 'hello')
    expect(msg.key.remoteJid).toBe('5511988887777@s.whatsapp.net')
    const received: string[] = []
    s.on('messages.upsert', (u) => { if (u.type === 'notify') received.push(u.messages[0]!.message!.conversation!) })
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'hi back' })
    await new Promise((r) => setTimeout(r, 10))
    expect(received).toEqual(['hi back'])
    await h.manager.stop()
    void pairedSession
  })
})
