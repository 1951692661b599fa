import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from './helpers.js'
import { openSse } from './sse-client.js'

let gw: TestGateway
beforeAll(async () => {
  gw = await startTestGateway()
})
afterAll(() => gw?.close())

describe('Server-Sent Events', () => {
  it("streams a session's status changes, QR and messages on /sessions/:id/events", async () => {
    const { id, token } = await gw.createSession()
    const other = await gw.createSession()
    const sse = await openSse(`${gw.url}/sessions/${id}/events`, token)
    try {
      expect(sse.status).toBe(200)
      expect(sse.contentType).toMatch(/^text\/event-stream/)
      const ready = await sse.next((e) => e.event === 'ready')
      expect(ready.data.session).toMatchObject({ id, status: 'stopped' })

      await gw.admin.post(`/sessions/${id}/connect`)
      await gw.admin.post(`/sessions/${other.id}/connect`)
      const starting = await sse.next((e) => e.event === 'session.status' && e.data.data.status === 'starting')
      expect(starting.data).toMatchObject({ sessionId: id, tenantId: null, data: { status: 'starting', previous: 'stopped' } })
      const qr = await sse.next((e) => e.event === 'session.qr')
      expect(qr.data.data.dataUrl).toMatch(/^data:image\/png;base64,/)

      await gw.admin.post(`/demo/sessions/${id}/scan`)
      await sse.next((e) => e.event === 'session.status' && e.data.data.status === 'connected')
      await gw.admin.post(`/sessions/${id}/messages/text`, { to: '5511900000002', text: 'ping' })
      // The demo contact answers; its message arrives as messages.upsert (notify), bytes and Longs as JSON.
      // (The phone's own protocol messages after the link, app state key and history, are notify upserts too, fromMe.)
      const reply = await sse.next((e) => e.event === 'messages.upsert' && e.data.data.type === 'notify' && !e.data.data.messages[0].key.fromMe)
      expect(reply.data.data.messages[0].message.conversation).toBe('You said: "ping"')

      // Only this session's events: the other session's QR never shows up here.
      expect(sse.events.every((e) => e.event === 'ready' || e.data.sessionId === id)).toBe(true)
    } finally {
      sse.close()
    }
  })

  it('filters by event name with ?events=', async () => {
    const { id } = await gw.createSession()
    const sse = await openSse(`${gw.url}/sessions/${id}/events?events=session.status`, gw.config.adminKey!)
    try {
      await sse.next((e) => e.event === 'ready')
      await gw.admin.post(`/sessions/${id}/connect`)
      await sse.next((e) => e.event === 'session.status' && e.data.data.status === 'qr')
      expect(sse.events.filter((e) => e.event !== 'ready').every((e) => e.event === 'session.status')).toBe(true)
    } finally {
      sse.close()
    }
  })

  it('streams every visible session on /events: all for the admin, its own for a tenant', async () => {
    const { body } = await gw.admin.post('/tenants', { name: 'Streaming' })
    const tenant = gw.as(body.apiKey.key)
    const admin = await openSse(`${gw.url}/events`, gw.config.adminKey!)
    const own = await openSse(`${gw.url}/events`, body.apiKey.key)
    try {
      const mine = await gw.createSession(tenant)
      const foreign = await gw.createSession()
      await admin.next((e) => e.event === 'session.created' && e.data.sessionId === foreign.id)
      await own.next((e) => e.event === 'session.created' && e.data.sessionId === mine.id)
      await tenant.post(`/sessions/${mine.id}/connect`)
      await gw.admin.post(`/sessions/${foreign.id}/connect`)
      await admin.next((e) => e.event === 'session.status' && e.data.sessionId === foreign.id && e.data.data.status === 'qr')
      await own.next((e) => e.event === 'session.status' && e.data.sessionId === mine.id && e.data.data.status === 'qr')
      expect(own.events.some((e) => e.data.sessionId === foreign.id)).toBe(false)
      await gw.admin.delete(`/sessions/${mine.id}`)
      await own.next((e) => e.event === 'session.deleted' && e.data.data.id === mine.id)
    } finally {
      admin.close()
      own.close()
    }
  })
})
