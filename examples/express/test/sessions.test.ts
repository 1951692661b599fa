import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from './helpers.js'

let gw: TestGateway
beforeAll(async () => {
  gw = await startTestGateway({ maxUploadSize: 64 * 1024 })
})
afterAll(() => gw?.close())

describe('sessions CRUD', () => {
  it('creates (201, with a token once), reads, updates and deletes a session', async () => {
    const created = await gw.admin.post('/sessions', {
      name: 'support',
      metadata: { plan: 'pro' },
      webhooks: [{ url: 'https://hooks.example.com/wa', events: ['messages.upsert'], secret: 'webhook-secret-value' }],
    })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^wfs_/)
    const { session } = created.body
    expect(session).toMatchObject({ name: 'support', status: 'stopped', metadata: { plan: 'pro' }, tenantId: null })
    // Secrets never come back.
    expect(JSON.stringify(created.body)).not.toContain('webhook-secret-value')
    expect(session.webhooks[0].secret).toBe('[redacted]')

    const read = await gw.admin.get(`/sessions/${session.id}`)
    expect(read.body).toMatchObject({ id: session.id, name: 'support', stats: { contacts: 0, groups: 0, chats: 0 } })
    expect((await gw.admin.get(`/sessions/${session.id}/info`)).body.id).toBe(session.id)

    const patched = await gw.admin.patch(`/sessions/${session.id}`, { metadata: { plan: 'enterprise' }, name: 'support-2' })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ name: 'support-2', metadata: { plan: 'enterprise' } })

    const deleted = await gw.admin.delete(`/sessions/${session.id}`)
    expect(deleted.body).toEqual({ id: session.id, deleted: true })
    const gone = await gw.admin.get(`/sessions/${session.id}`)
    expect(gone.status).toBe(404)
    expect(gone.body).toMatchObject({ statusCode: 404, code: 'SESSION_NOT_FOUND', details: { sessionId: session.id } })
  })

  it('answers the seeds\' aliases: /sessions/create, /sessions/add, /sessions/list, /sessions/:id/info, DELETE /sessions/:id/delete', async () => {
    const a = await gw.admin.post('/sessions/create', { name: 'alias-a' })
    const b = await gw.admin.post('/sessions/add', { name: 'alias-b', id: 'alias-b' })
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.body.session.id).toBe('alias-b')
    const list = await gw.admin.get('/sessions/list?limit=1000')
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['alias-a', 'alias-b']))
    expect((await gw.admin.delete('/sessions/alias-b/delete')).body.deleted).toBe(true)
    expect((await gw.admin.get('/sessions/alias-b')).status).toBe(404)
  })

  it('refuses a duplicate name with 409 SESSION_NAME_TAKEN and a duplicate id with 400', async () => {
    await gw.admin.post('/sessions', { name: 'unique-name', id: 'unique-id' })
    const name = await gw.admin.post('/sessions', { name: 'unique-name' })
    expect(name.status).toBe(409)
    expect(name.body.code).toBe('SESSION_NAME_TAKEN')
    const id = await gw.admin.post('/sessions', { name: 'other', id: 'unique-id' })
    expect(id.status).toBe(400)
    expect(id.body).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'id' } })
  })

  it('pages through sessions with limit and cursor, each exactly once, filtered by status', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await gw.createSession(gw.admin, { name: `page-${i}` })).id)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const reply: { body: { items: { id: string }[]; nextCursor: string | null } } = await gw.admin.get(
        `/sessions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      expect(reply.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...reply.body.items.map((s) => s.id))
      cursor = reply.body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBeGreaterThanOrEqual(3)
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen).toEqual(expect.arrayContaining(ids))

    const connected = await gw.connectedSession()
    const filtered = await gw.admin.get('/sessions?status=connected&limit=1000')
    expect(filtered.body.items.map((s: { id: string }) => s.id)).toEqual([connected.id])
  })

  it('lists the event names a webhook can subscribe to', async () => {
    const reply = await gw.admin.get('/sessions/webhook/events')
    expect(reply.body.events).toEqual(expect.arrayContaining(['messages.upsert', 'session.status', 'connection.update']))
    expect(reply.body.events).not.toContain('creds.update')
  })
})

describe('validation and error bodies', () => {
  it('answers 400 VALIDATION_ERROR with the fields in details', async () => {
    const reply = await gw.admin.post('/sessions', { name: '', metadata: 'nope', extra: 1 })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('VALIDATION_ERROR')
    const fields = reply.body.details.issues.map((issue: { field: string }) => issue.field)
    expect(fields).toEqual(expect.arrayContaining(['name', 'metadata']))
    expect(reply.body.details.issues.some((issue: { message: string }) => issue.message.includes('extra'))).toBe(true)

    const query = await gw.admin.get('/sessions?limit=0')
    expect(query.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR', details: { field: 'limit' } })
    expect((await gw.admin.get('/sessions?status=sleeping')).body.details.field).toBe('status')
    const { id } = await gw.createSession()
    expect((await gw.admin.patch(`/sessions/${id}`, {})).body.code).toBe('VALIDATION_ERROR')
    expect((await gw.admin.get('/sessions?cursor=garbage')).body).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR' })
  })

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const reply = await gw.admin.raw('POST', '/sessions', '{"name": "broken"', { 'content-type': 'application/json' })
    expect(reply.status).toBe(400)
    expect(reply.body).toEqual({ statusCode: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' })
  })

  it('answers 413 PAYLOAD_TOO_LARGE past MAX_UPLOAD_SIZE', async () => {
    const { id } = await gw.connectedSession()
    const base64 = Buffer.alloc(80 * 1024, 1).toString('base64')
    const reply = await gw.admin.post(`/sessions/${id}/messages/media`, { to: '5511900000001', base64, mimetype: 'image/png' })
    expect(reply.status).toBe(413)
    expect(reply.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', details: { limit: 64 * 1024 } })
  })

  it('answers unknown routes with 404 ROUTE_NOT_FOUND in the same shape', async () => {
    const reply = await gw.admin.get('/no/such/route')
    expect(reply.body).toMatchObject({ statusCode: 404, code: 'ROUTE_NOT_FOUND' })
  })

  it('reports a failing database on /health with 503 and only an error code', async () => {
    const storage = gw.gateway.manager.storage
    const original = storage.ping
    storage.ping = async () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password authentication failed for user "wafleet"')
    }
    try {
      const reply = await gw.as(undefined).get('/health')
      expect(reply.status).toBe(503)
      expect(reply.body).toMatchObject({ status: 'degraded', storage: { ok: false, kind: 'sqlite', error: 'STORAGE_ERROR' } })
      expect(JSON.stringify(reply.body)).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|password/)
    } finally {
      storage.ping = original
    }
    expect((await gw.as(undefined).get('/health')).body).toMatchObject({ status: 'ok', storage: { ok: true } })
  })

  it('hides internal failures: 500 INTERNAL_ERROR with a request id, no message, stack or SQL', async () => {
    const sessions = gw.gateway.manager.storage.sessions
    const original = sessions.list
    sessions.list = async () => {
      const error = new Error('SQLITE_CORRUPT: SELECT * FROM wafleet_sessions WHERE tenant_id = ? at /srv/app/db.js:42')
      throw error
    }
    try {
      const reply = await gw.admin.get('/sessions')
      expect(reply.status).toBe(500)
      expect(reply.body).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal error', details: { requestId: expect.any(String) } })
      expect(JSON.stringify(reply.body)).not.toMatch(/SQLITE|SELECT|db\.js|at /)
    } finally {
      sessions.list = original
    }
  })
})

describe('plugins', () => {
  it('serves Prometheus metrics to the admin', async () => {
    await gw.connectedSession()
    const reply = await gw.admin.get('/metrics')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(reply.body).toMatch(/^wafleet_sessions\{status="connected"\} [1-9]/m)
  })

  it('checks proxies through the proxy plugin (a bad proxy URL is refused)', async () => {
    const reply = await gw.admin.post('/sessions', { name: 'proxied', proxy: { url: 'ftp://proxy.example.com:21' } })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('PROXY_INVALID')
    const ok = await gw.admin.post('/sessions', { name: 'proxied', proxy: { url: 'socks5://user:proxy-password@127.0.0.1:1080' } })
    expect(ok.status).toBe(201)
    expect(JSON.stringify(ok.body)).not.toContain('proxy-password')
  })

  it('checks webhook endpoints through the webhooks plugin', async () => {
    const reply = await gw.admin.post('/sessions', { name: 'hooked', webhooks: [{ url: 'https://hooks.example.com/x', events: ['no.such.event'] }] })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('WEBHOOK_INVALID')
  })
})
