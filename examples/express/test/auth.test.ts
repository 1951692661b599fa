import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js'

let gw: TestGateway
beforeAll(async () => {
  gw = await startTestGateway()
})
afterAll(() => gw?.close())

describe('authentication', () => {
  it('answers 401 AUTH_MISSING without a key and AUTH_INVALID with a wrong one, on every protected route', async () => {
    const { id } = await gw.createSession()
    for (const path of ['/sessions', `/sessions/${id}`, `/sessions/${id}/status`, '/tenants', '/metrics', '/events']) {
      const missing = await gw.as(undefined).get(path)
      expect(missing.status, path).toBe(401)
      expect(missing.body).toMatchObject({ statusCode: 401, code: 'AUTH_MISSING' })
      const wrong = await gw.as('wfa_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').get(path)
      expect(wrong.status, path).toBe(401)
      expect(wrong.body).toMatchObject({ statusCode: 401, code: 'AUTH_INVALID' })
    }
    expect((await gw.as(`${ADMIN_KEY}x`).get('/sessions')).body.code).toBe('AUTH_INVALID')
    expect((await gw.as('Bearer').get('/sessions')).status).toBe(401)
  })

  it('takes the key as X-API-Key or as Authorization: Bearer', async () => {
    expect((await gw.as(ADMIN_KEY, 'x-api-key').get('/sessions')).status).toBe(200)
    expect((await gw.as(ADMIN_KEY, 'bearer').get('/sessions')).status).toBe(200)
  })

  it('authenticates before validating: a bad body without a key is a 401, not a 400', async () => {
    const reply = await gw.as(undefined).post('/sessions', { nope: true })
    expect(reply.status).toBe(401)
  })

  it('leaves /health, /openapi.json and the panel open', async () => {
    expect((await gw.as(undefined).get('/health')).status).toBe(200)
    expect((await gw.as(undefined).get('/openapi.json')).status).toBe(200)
    const panel = await gw.as(undefined).get('/')
    expect(panel.status).toBe(200)
    expect(panel.body).toContain('<title>wafleet panel</title>')
  })
})

describe('tenants and isolation', () => {
  it('creates a tenant with a key shown once; the key sees only its own sessions', async () => {
    const created = await gw.admin.post('/tenants', { id: 'acme', name: 'Acme' })
    expect(created.status).toBe(201)
    expect(created.body.apiKey.key).toMatch(/^wft_/)
    const other = await gw.admin.post('/tenants', { id: 'globex', name: 'Globex' })
    const acme = gw.as(created.body.apiKey.key)
    const globex = gw.as(other.body.apiKey.key, 'bearer')

    const mine = await gw.createSession(acme, { name: 'acme-support' })
    const theirs = await gw.createSession(globex, { name: 'globex-sales' })
    expect(gw.gateway.manager.get(mine.id)?.tenantId).toBe('acme')

    // Another tenant's session does not exist for this key: 404 on every route, never 403.
    const checks: [string, () => Promise<{ status: number; body: any }>][] = [
      [`/sessions/${theirs.id}`, () => acme.get(`/sessions/${theirs.id}`)],
      ['/status', () => acme.get(`/sessions/${theirs.id}/status`)],
      ['/qr', () => acme.get(`/sessions/${theirs.id}/qr`)],
      ['/connect', () => acme.post(`/sessions/${theirs.id}/connect`)],
      ['patch', () => acme.patch(`/sessions/${theirs.id}`, { metadata: { x: 1 } })],
      ['delete', () => acme.delete(`/sessions/${theirs.id}`)],
      ['/messages/text', () => acme.post(`/sessions/${theirs.id}/messages/text`, { to: '5511999990000', text: 'x' })],
      ['/events', () => acme.get(`/sessions/${theirs.id}/events`)],
      ['/token', () => acme.post(`/sessions/${theirs.id}/token`)],
    ]
    for (const [what, call] of checks) {
      const reply = await call()
      expect(reply.status, what).toBe(404)
      expect(reply.body.code).toBe('SESSION_NOT_FOUND')
    }
    expect(gw.gateway.manager.get(theirs.id)?.status).toBe('stopped') // the connect above did nothing

    const listed = await acme.get('/sessions')
    expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([mine.id])
    expect((await acme.get('/sessions?tenantId=globex')).status).toBe(403)
    // A tenant cannot plant sessions in another tenant.
    expect((await acme.post('/sessions', { name: 'x', tenantId: 'globex' })).status).toBe(403)
    // The admin sees both, and may filter.
    const all = await gw.admin.get('/sessions?tenantId=globex')
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual([theirs.id])
  })

  it('keeps tenant keys away from admin routes (403 FORBIDDEN)', async () => {
    const { body } = await gw.admin.post('/tenants', { name: 'Initech' })
    const tenant = gw.as(body.apiKey.key)
    for (const path of ['/tenants', '/metrics', `/tenants/${body.tenant.id}`]) {
      const reply = await tenant.get(path)
      expect(reply.status, path).toBe(403)
      expect(reply.body.code).toBe('FORBIDDEN')
    }
    expect((await tenant.post('/demo/sessions/x/scan', {})).status).toBe(403)
  })

  it('lists tenants page by page, shows key ids (never keys) and rotates keys', async () => {
    for (const id of ['t-a', 't-b', 't-c']) await gw.admin.post('/tenants', { id, name: id })
    const first = await gw.admin.get('/tenants?limit=2')
    expect(first.body.items).toHaveLength(2)
    expect(first.body.nextCursor).toBeTruthy()
    const seen = [...first.body.items]
    let cursor = first.body.nextCursor
    while (cursor) {
      const page = await gw.admin.get(`/tenants?limit=2&cursor=${encodeURIComponent(cursor)}`)
      seen.push(...page.body.items)
      cursor = page.body.nextCursor
    }
    const ids = seen.map((t: { id: string }) => t.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toEqual(expect.arrayContaining(['t-a', 't-b', 't-c']))

    const added = await gw.admin.post('/tenants/t-a/keys')
    expect(added.status).toBe(201)
    const detail = await gw.admin.get('/tenants/t-a')
    expect(detail.body.keys.map((k: { id: string }) => k.id)).toContain(added.body.id)
    expect(JSON.stringify(detail.body)).not.toContain(added.body.key)
    expect((await gw.as(added.body.key).get('/sessions')).status).toBe(200)
    expect((await gw.admin.delete(`/tenants/t-a/keys/${added.body.id}`)).status).toBe(200)
    expect((await gw.as(added.body.key).get('/sessions')).status).toBe(401)
    expect((await gw.admin.delete('/tenants/t-a/keys/0000000000000000')).body.code).toBe('KEY_NOT_FOUND')
    expect((await gw.admin.post('/tenants', { id: 't-a', name: 'again' })).body.code).toBe('TENANT_EXISTS')
    expect((await gw.admin.get('/tenants/nobody')).body.code).toBe('TENANT_NOT_FOUND')
  })

  it('refuses to delete a tenant that has sessions, then deletes it and revokes its keys', async () => {
    const { body } = await gw.admin.post('/tenants', { id: 'umbrella', name: 'Umbrella' })
    const tenant = gw.as(body.apiKey.key)
    const session = await gw.createSession(tenant)
    const refused = await gw.admin.delete('/tenants/umbrella')
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('TENANT_NOT_EMPTY')
    expect((await tenant.delete(`/sessions/${session.id}`)).status).toBe(200)
    expect((await gw.admin.delete('/tenants/umbrella')).status).toBe(200)
    expect((await tenant.get('/sessions')).status).toBe(401)
    expect((await gw.as(session.token).get(`/sessions/${session.id}`)).status).toBe(401)
  })

  it('rejects a session for an unknown tenant', async () => {
    const reply = await gw.admin.post('/sessions', { name: 'x', tenantId: 'no-such-tenant' })
    expect(reply.status).toBe(400)
    expect(reply.body).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'tenantId' } })
  })
})

describe('session tokens', () => {
  it('reach their own session only', async () => {
    const a = await gw.connectedSession()
    const b = await gw.createSession()
    const token = gw.as(a.token)
    expect((await token.get(`/sessions/${a.id}`)).status).toBe(200)
    expect((await token.get(`/sessions/${a.id}/status`)).body.status).toBe('connected')
    expect((await token.post(`/sessions/${a.id}/messages/text`, { to: '5511900000001', text: 'hi' })).status).toBe(201)
    expect((await token.get(`/sessions/${b.id}`)).status).toBe(404)
    expect((await token.get('/sessions')).status).toBe(403)
    expect((await token.post('/sessions', { name: 'nope' })).status).toBe(403)
    expect((await token.delete(`/sessions/${a.id}`)).status).toBe(403)
    expect((await token.get('/tenants')).status).toBe(403)
  })

  it('are replaced by POST /sessions/:id/token and die with their session', async () => {
    const s = await gw.createSession()
    const rotated = await gw.admin.post(`/sessions/${s.id}/token`)
    expect(rotated.status).toBe(201)
    expect((await gw.as(s.token).get(`/sessions/${s.id}`)).status).toBe(401)
    expect((await gw.as(rotated.body.token).get(`/sessions/${s.id}`)).status).toBe(200)
    await gw.admin.delete(`/sessions/${s.id}`)
    expect((await gw.as(rotated.body.token).get(`/sessions/${s.id}`)).status).toBe(401)
  })
})

describe('key storage', () => {
  it('stores only hashes: no key appears in the database file', async () => {
    const tenant = await gw.admin.post('/tenants', { name: 'Hashed' })
    const session = await gw.createSession()
    await gw.gateway.manager.storage.ping()
    const files = ['wafleet.db', 'wafleet.db-wal'].map((name) => {
      try {
        return readFileSync(join(gw.config.dataDir, name))
      } catch {
        return Buffer.alloc(0)
      }
    })
    // Keys are `<prefix>_<id>_<secret>`, and the base64url secret may itself contain '_'.
    const secrets = [tenant.body.apiKey.key, session.token].map((key: string) => key.split('_').slice(2).join('_'))
    for (const secret of secrets) expect(secret).toHaveLength(43)
    for (const secret of secrets) for (const file of files) expect(file.includes(secret)).toBe(false)
    // ...and the record is there, by id.
    const ids = [tenant.body.apiKey.id, session.token.split('_')[1]]
    for (const id of ids) expect(files.some((file) => file.includes(id))).toBe(true)
  })

  it('generates an admin key on first start when WAFLEET_ADMIN_KEY is unset, and keeps it across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wafleet-gateway-'))
    const first = await startTestGateway({ adminKey: null, dataDir })
    try {
      const key = first.gateway.generatedAdminKey!
      expect(key).toMatch(/^wfa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
      expect((await first.as(key).get('/tenants')).status).toBe(200)
      await first.close()
      const second = await startTestGateway({ adminKey: null, dataDir })
      try {
        expect(second.gateway.generatedAdminKey).toBeNull()
        expect((await second.as(key).get('/tenants')).status).toBe(200)
      } finally {
        await second.close()
      }
      // Setting WAFLEET_ADMIN_KEY replaces the stored one.
      const third = await startTestGateway({ adminKey: 'operator-chosen-admin-key', dataDir })
      try {
        expect((await third.as(key).get('/tenants')).status).toBe(401)
        expect((await third.as('operator-chosen-admin-key').get('/tenants')).status).toBe(200)
      } finally {
        await third.close()
      }
    } finally {
      await first.close().catch(() => undefined)
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
