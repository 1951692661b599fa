import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startTestGateway, type TestGateway } from './helpers.js'

let gw: TestGateway
beforeAll(async () => {
  gw = await startTestGateway()
})
afterAll(() => gw?.close())

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

describe('connection lifecycle', () => {
  it('connects (202), shows a QR as JSON and PNG, connects after the scan, then refuses a second connect', async () => {
    const { id } = await gw.createSession()
    const before = await gw.admin.get(`/sessions/${id}/qr`)
    expect(before.body).toMatchObject({ id, status: 'stopped', qr: null, image: null, expiresAt: null })
    expect(before.body.message).toMatch(/connect/)
    expect((await gw.admin.get(`/sessions/${id}/qr?format=png`)).body.code).toBe('QR_NOT_AVAILABLE')

    const connect = await gw.admin.post(`/sessions/${id}/connect`)
    expect(connect.status).toBe(202)
    // GET /qr right after connect waits for the first QR instead of answering "not yet".
    const qr = await gw.admin.get(`/sessions/${id}/qr`)
    expect(qr.body).toMatchObject({ id, status: 'qr', attempt: 1 })
    expect(qr.body.qr).toEqual(expect.any(String))
    expect(qr.body.image).toMatch(/^data:image\/png;base64,/)
    const expiresIn = Date.parse(qr.body.expiresAt) - Date.now()
    expect(expiresIn).toBeGreaterThan(30_000)
    expect(expiresIn).toBeLessThanOrEqual(60_000)

    const png = await gw.admin.get(`/sessions/${id}/qr?format=png`)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect((png.body as Buffer).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)

    expect((await gw.admin.post(`/demo/sessions/${id}/scan`, { phoneNumber: '5511987654321' })).body).toEqual({ id, phoneNumber: '5511987654321', status: 'connected' })
    await gw.waitForStatus(id, 'connected')
    const status = await gw.admin.get(`/sessions/${id}/status`)
    expect(status.body).toEqual({ id, name: expect.any(String), status: 'connected', phoneNumber: '5511987654321' })
    expect((await gw.admin.get(`/sessions/${id}/qr`)).body).toMatchObject({ qr: null, message: 'Session is already connected' })
    const again = await gw.admin.post(`/sessions/${id}/connect`)
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('SESSION_ALREADY_CONNECTED')
  })

  it('disconnects keeping the link, reconnects without a QR, restarts, and logs out', async () => {
    const { id } = await gw.connectedSession()
    const disconnected = await gw.admin.post(`/sessions/${id}/disconnect`)
    expect(disconnected.body).toEqual({ id, status: 'stopped' })
    expect((await gw.admin.get(`/sessions/${id}`)).body.phoneNumber).toMatch(/^\d+$/)

    expect((await gw.admin.post(`/sessions/${id}/connect`)).status).toBe(202)
    await gw.waitForStatus(id, 'connected') // no scan needed
    expect((await gw.admin.post(`/sessions/${id}/restart`)).status).toBe(202)
    await gw.waitForStatus(id, 'connected')

    const logout = await gw.admin.post(`/sessions/${id}/logout`)
    expect(logout.body).toEqual({ id, status: 'logged_out' })
    const info = await gw.admin.get(`/sessions/${id}`)
    expect(info.body.phoneNumber).toBeNull()
    await gw.admin.post(`/sessions/${id}/connect`)
    await gw.waitForStatus(id, 'qr') // a new pairing is needed
    await gw.admin.post(`/sessions/${id}/disconnect`)
  })

  it('pairs with a code (and its /pairphone alias), validating the phone number', async () => {
    const { id } = await gw.createSession()
    const bad = await gw.admin.post(`/sessions/${id}/pair`, { phoneNumber: 'call me' })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('INVALID_PHONE')
    expect((await gw.admin.post(`/sessions/${id}/pair`, {})).body).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'phoneNumber' } })

    const paired = await gw.admin.post(`/sessions/${id}/pairphone`, { phoneNumber: '+55 (11) 98888-7777' })
    expect(paired.status).toBe(200)
    expect(paired.body).toMatchObject({ id, status: 'pairing', phoneNumber: '5511988887777' })
    expect(paired.body.code).toMatch(/^[0-9A-Z]{8}$/)
    await gw.admin.post(`/demo/sessions/${id}/scan`, { phoneNumber: '5511988887777' })
    await gw.waitForStatus(id, 'connected')
    expect((await gw.admin.get(`/sessions/${id}/status`)).body.phoneNumber).toBe('5511988887777')
  })

  it('only scans sessions that wait for one (demo)', async () => {
    const { id } = await gw.createSession()
    const reply = await gw.admin.post(`/demo/sessions/${id}/scan`)
    expect(reply.status).toBe(409)
    expect((await gw.admin.post('/demo/sessions/unknown/scan')).status).toBe(404)
    expect((await gw.admin.post(`/demo/sessions/${id}/scan`, { phoneNumber: '12' })).body.details.field).toBe('phoneNumber')
  })
})

describe('messages', () => {
  it('sends text, media, location, reaction and poll, and the demo contact answers texts', async () => {
    const { id } = await gw.connectedSession()
    const sent = await gw.admin.post(`/sessions/${id}/messages/text`, { to: '+55 11 90000-0001', text: 'hello' })
    expect(sent.status).toBe(201)
    expect(sent.body).toMatchObject({ to: '5511900000001@s.whatsapp.net', status: 'sent' })
    expect(sent.body.id).toEqual(expect.any(String))
    expect(Number.isNaN(Date.parse(sent.body.timestamp))).toBe(false)

    const pixel = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
    const media = await gw.admin.post(`/sessions/${id}/messages/media`, { to: '5511900000001', base64: pixel, mimetype: 'image/png', caption: 'a pixel' })
    expect(media.status).toBe(201)
    const location = await gw.admin.post(`/sessions/${id}/messages/location`, { to: '5511900000001', latitude: -23.55, longitude: -46.63, name: 'SP' })
    expect(location.status).toBe(201)
    const reaction = await gw.admin.post(`/sessions/${id}/messages/reaction`, { to: '5511900000001', messageId: sent.body.id, fromMe: true, emoji: '👍' })
    expect(reaction.status).toBe(201)
    const poll = await gw.admin.post(`/sessions/${id}/messages/poll`, { to: '5511900000001', name: 'Lunch?', options: ['yes', 'no'] })
    expect(poll.status).toBe(201)

    const stats = await eventually(async () => {
      const { body } = await gw.admin.get(`/sessions/${id}`)
      return body.stats.messagesSent === 5 && body.stats.messagesReceived === 1 ? body.stats : null
    })
    // The phone's history had 3 people and 1 group: 3 contacts (Baileys also lists the group as a
    // contact; the SDK counts people only), 1 group, 4 chats.
    expect(stats).toMatchObject({ messagesSent: 5, messagesReceived: 1, contacts: 3, groups: 1, chats: 4 })
  })

  it('answers bad input and state with coded errors', async () => {
    const { id } = await gw.connectedSession()
    const recipient = await gw.admin.post(`/sessions/${id}/messages/text`, { to: 'not a number', text: 'x' })
    expect(recipient.status).toBe(400)
    expect(recipient.body.code).toBe('INVALID_RECIPIENT')
    const both = await gw.admin.post(`/sessions/${id}/messages/media`, { to: '5511900000001', url: 'https://example.com/a.png', base64: 'AAAA' })
    expect(both.body).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'url' } })
    const badBase64 = await gw.admin.post(`/sessions/${id}/messages/media`, { to: '5511900000001', base64: '!!!', mimetype: 'image/png' })
    expect(badBase64.body.code).toBe('VALIDATION_ERROR')
    expect((await gw.admin.post(`/sessions/${id}/messages/location`, { to: '5511900000001', latitude: 91, longitude: 0 })).body.details.field).toBe('latitude')
    expect((await gw.admin.post(`/sessions/${id}/messages/poll`, { to: '5511900000001', name: 'x', options: ['only one'] })).body.details.field).toBe('options')

    const stopped = await gw.createSession()
    const notConnected = await gw.admin.post(`/sessions/${stopped.id}/messages/text`, { to: '5511900000001', text: 'x' })
    expect(notConnected.status).toBe(409)
    expect(notConnected.body.code).toBe('SESSION_NOT_CONNECTED')
  })
})
