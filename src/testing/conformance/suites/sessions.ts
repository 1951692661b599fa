import type { NewSessionRecord, SessionRecord, StorageAdapter } from '../../../storage/types.js'
import { bytes, codeOf, hex, sleep, type Harness } from '../harness.js'

const withoutTimes = ({ createdAt: _c, updatedAt: _u, version: _v, ...rest }: SessionRecord) => rest

const listOrder = (a: SessionRecord, b: SessionRecord) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

async function listAll(storage: StorageAdapter, query: Parameters<StorageAdapter['sessions']['list']>[0], pageSize: number) {
  const seen: SessionRecord[] = []
  let cursor: string | undefined
  for (let page = 0; page < 1000; page++) {
    const result = await storage.sessions.list({ ...query, limit: pageSize, ...(cursor ? { cursor } : {}) })
    seen.push(...result.items)
    if (!result.nextCursor) return seen
    cursor = result.nextCursor
  }
  throw new Error('list never ended')
}

export function sessionTests(h: Harness): void {
  const { it, expect } = h

  it('create returns the stored record; get and getByName read it back field for field', async ({ storage, tenant }) => {
    const input: NewSessionRecord = {
      id: `full-${tenant}`,
      tenantId: tenant,
      name: 'Loja Centro – atendimento 🛍️',
      status: 'connected',
      desiredState: 'running',
      phoneNumber: '5511999990001',
      jid: '5511999990001:12@s.whatsapp.net',
      lid: '123456789012345:12@lid',
      webhooks: [{ url: 'https://example.com/hook', events: ['messages.*'], secret: 's3cr3t', headers: { 'X-A': 'b' }, retry: { attempts: 3 }, timeoutMs: 5000 }],
      proxy: { url: 'socks5://user:pass@127.0.0.1:1080', protocol: 'socks5' },
      rateLimit: { perSecond: 2, burst: 5 },
      metadata: { nested: { list: [1, 'two', null, true], empty: {} }, unicode: 'ção – 日本 – مرحبا', number: 12.5 },
      stats: { contacts: 1, groups: 2, chats: 3, messagesSent: 4, messagesReceived: 5 },
      lastDisconnect: { code: 428, reason: 'connection_closed', message: 'Connection Closed', at: '2026-01-02T03:04:05.678Z' },
      connectedAt: '2026-01-02T03:04:05.678Z',
    }
    const created = await storage.sessions.create(input)
    expect(withoutTimes(created)).toEqual(input)
    expect(created.version).toBe(1)
    expect(created.createdAt).toBeInstanceOf(Date)
    expect(Number.isNaN(created.createdAt.getTime())).toBe(false)
    expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime())
    expect(await storage.sessions.get(input.id)).toEqual(created)
    expect(await storage.sessions.getByName(tenant, input.name)).toEqual(created)
  })

  it('get and getByName return null for what does not exist', async ({ storage, session, tenant }) => {
    const s = await session()
    expect(await storage.sessions.get('no-such-session')).toBeNull()
    expect(await storage.sessions.getByName(tenant, 'no such name')).toBeNull()
    expect(await storage.sessions.getByName(`${tenant}-other`, s.name)).toBeNull()
    expect(await storage.sessions.getByName(null, s.name)).toBeNull()
  })

  it('a duplicate id is STORAGE_CONFLICT and leaves the first record as it was', async ({ storage, session }) => {
    const first = await session()
    expect(await codeOf(storage.sessions.create({ ...first, name: 'another name' }))).toBe('STORAGE_CONFLICT')
    expect(await storage.sessions.get(first.id)).toEqual(first)
  })

  it('names are unique per tenant and among sessions without a tenant (SESSION_NAME_TAKEN)', async ({ storage, session, tenant }) => {
    const name = `shop ${tenant}`
    const a = await session({ name })
    expect(await codeOf(session({ name }))).toBe('SESSION_NAME_TAKEN')
    const otherTenant = await session({ name, tenantId: `${tenant}-b` })
    const untenanted = await session({ name, tenantId: null })
    expect(await codeOf(session({ name, tenantId: null }))).toBe('SESSION_NAME_TAKEN')
    // Names are compared exactly.
    await session({ name: name.toUpperCase() })
    expect((await storage.sessions.getByName(tenant, name))?.id).toBe(a.id)
    expect((await storage.sessions.getByName(`${tenant}-b`, name))?.id).toBe(otherTenant.id)
    expect((await storage.sessions.getByName(null, name))?.id).toBe(untenanted.id)
  })

  it('update applies the patch, bumps the version and keeps everything else', async ({ storage, session }) => {
    const s = await session({ proxy: { url: 'http://proxy:8080' }, metadata: { keep: 'me' } })
    await sleep(5)
    const updated = await storage.sessions.update(s.id, {
      status: 'qr',
      proxy: null,
      webhooks: [{ url: 'https://example.com/new' }],
      stats: { ...s.stats, messagesSent: 7 },
      // A key present with undefined changes nothing.
      phoneNumber: undefined,
    })
    expect(updated.version).toBe(2)
    expect(updated.status).toBe('qr')
    expect(updated.proxy).toBeNull()
    expect(updated.webhooks).toEqual([{ url: 'https://example.com/new' }])
    expect(updated.stats.messagesSent).toBe(7)
    expect(updated.metadata).toEqual({ keep: 'me' })
    expect(updated.phoneNumber).toBe(s.phoneNumber)
    expect(updated.createdAt.getTime()).toBe(s.createdAt.getTime())
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(s.updatedAt.getTime())
    expect(await storage.sessions.get(s.id)).toEqual(updated)
    expect((await storage.sessions.update(s.id, {})).version).toBe(3)
  })

  it('update with a stale expectedVersion is VERSION_CONFLICT and changes nothing', async ({ storage, session }) => {
    const s = await session()
    const v2 = await storage.sessions.update(s.id, { status: 'starting' }, { expectedVersion: 1 })
    expect(await codeOf(storage.sessions.update(s.id, { status: 'failed' }, { expectedVersion: 1 }))).toBe('VERSION_CONFLICT')
    expect(await storage.sessions.get(s.id)).toEqual(v2)
  })

  it('concurrent updates expecting the same version: exactly one wins', async ({ storage, session, open }) => {
    const s = await session()
    const other = await open()
    const attempts = Array.from({ length: 8 }, (_, i) => (i % 2 ? other : storage).sessions.update(s.id, { metadata: { writer: i } }, { expectedVersion: 1 }))
    const results = await Promise.allSettled(attempts)
    const won = results.filter((r) => r.status === 'fulfilled')
    expect(won).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(await codeOf(Promise.reject(r.reason))).toBe('VERSION_CONFLICT')
    expect((await storage.sessions.get(s.id))?.version).toBe(2)
  })

  it('update of a missing session is SESSION_NOT_FOUND', async ({ storage }) => {
    expect(await codeOf(storage.sessions.update('no-such-session', { status: 'stopped' }))).toBe('SESSION_NOT_FOUND')
    expect(await codeOf(storage.sessions.update('no-such-session', { status: 'stopped' }, { expectedVersion: 1 }))).toBe('SESSION_NOT_FOUND')
  })

  it('renaming (or moving tenant) onto a taken name is SESSION_NAME_TAKEN and changes nothing', async ({ storage, session, tenant }) => {
    const a = await session({ name: 'a' })
    const b = await session({ name: 'b' })
    await session({ name: 'a', tenantId: `${tenant}-x` })
    expect(await codeOf(storage.sessions.update(b.id, { name: 'a' }))).toBe('SESSION_NAME_TAKEN')
    expect(await codeOf(storage.sessions.update(a.id, { tenantId: `${tenant}-x` }))).toBe('SESSION_NAME_TAKEN')
    expect(await storage.sessions.get(b.id)).toEqual(b)
    expect(await storage.sessions.get(a.id)).toEqual(a)
    // Keeping one's own name is not a clash; a freed name can be taken.
    await storage.sessions.update(a.id, { name: 'a' })
    await storage.sessions.update(a.id, { name: 'c' })
    expect((await storage.sessions.update(b.id, { name: 'a' })).name).toBe('a')
  })

  it('list pages through every row exactly once, in (createdAt, id) order', async ({ storage, session, tenant }) => {
    const created: SessionRecord[] = []
    for (let i = 0; i < 9; i++) created.push(await session())
    // Created together: many share a millisecond, so the id must break ties.
    created.push(...(await Promise.all(Array.from({ length: 14 }, () => session()))))
    const expected = [...created].sort(listOrder).map((s) => s.id)
    for (const pageSize of [1, 5, 23, 100]) {
      expect((await listAll(storage, { tenantId: tenant }, pageSize)).map((s) => s.id)).toEqual(expected)
    }
    const last = await storage.sessions.list({ tenantId: tenant, limit: 23 })
    expect(last.items).toHaveLength(23)
    expect(last.nextCursor).toBeNull()
  })

  it('list filters by tenant (including no tenant), status and desired state', async ({ storage, session, tenant }) => {
    const a = await session({ status: 'connected', desiredState: 'running' })
    const b = await session({ status: 'stopped', desiredState: 'stopped' })
    const c = await session({ status: 'qr', desiredState: 'running' })
    const other = await session({ tenantId: `${tenant}-other`, status: 'connected' })
    const untenanted = await session({ tenantId: null, name: `no tenant ${tenant}` })
    const ids = async (query: Parameters<StorageAdapter['sessions']['list']>[0]) => (await listAll(storage, query, 2)).map((s) => s.id).sort()
    expect(await ids({ tenantId: tenant })).toEqual([a.id, b.id, c.id].sort())
    expect(await ids({ tenantId: tenant, status: 'connected' })).toEqual([a.id])
    expect(await ids({ tenantId: tenant, status: ['connected', 'qr'] })).toEqual([a.id, c.id].sort())
    expect(await ids({ tenantId: tenant, status: [] })).toEqual([])
    expect(await ids({ tenantId: tenant, desiredState: 'running' })).toEqual([a.id, c.id].sort())
    expect(await ids({ tenantId: `${tenant}-other` })).toEqual([other.id])
    expect(await ids({ tenantId: null })).toContain(untenanted.id)
    expect(await ids({ tenantId: null })).not.toContain(a.id)
    const everyone = await ids({})
    for (const s of [a, b, c, other, untenanted]) expect(everyone).toContain(s.id)
  })

  it('list rejects a malformed cursor and a bad limit with VALIDATION_ERROR', async ({ storage }) => {
    expect(await codeOf(storage.sessions.list({ cursor: 'not a cursor' }))).toBe('VALIDATION_ERROR')
    expect(await codeOf(storage.sessions.list({ limit: 0 }))).toBe('VALIDATION_ERROR')
    expect(await codeOf(storage.sessions.list({ limit: 1.5 }))).toBe('VALIDATION_ERROR')
  })

  it('delete removes the session, frees its name, and is idempotent', async ({ storage, session, tenant }) => {
    const s = await session({ name: 'to delete' })
    expect(await storage.sessions.delete(s.id)).toBe(true)
    expect(await storage.sessions.get(s.id)).toBeNull()
    expect(await storage.sessions.getByName(tenant, 'to delete')).toBeNull()
    expect(await storage.sessions.delete(s.id)).toBe(false)
    await session({ name: 'to delete' })
  })

  it('delete cascades to everything the session stored, and leaves other sessions alone', async ({ storage, session }) => {
    const doomed = await session()
    const kept = await session()
    for (const s of [doomed, kept]) {
      await storage.auth.commit(s.id, { creds: bytes(64, 1), keys: { session: { 'a.0': bytes(32, 2) }, 'pre-key': { '1': bytes(32, 3), '2': bytes(32, 4) } } })
      if (h.caps.messages) await storage.messages!.put(s.id, [{ id: 'm', remoteJid: 'r@s.whatsapp.net', message: bytes(8, 5), timestamp: 1 }], 10)
      if (h.caps.outbox) await storage.outbox!.enqueue([{ id: `o-${s.id}`, sessionId: s.id, target: 't', event: 'e', payload: bytes(8, 6) }])
      if (h.caps.leases) expect(await storage.leases!.acquire(s.id, 'owner', 60_000)).not.toBeNull()
    }
    expect(await storage.sessions.delete(doomed.id)).toBe(true)

    expect(await storage.auth.readCreds(doomed.id)).toBeNull()
    expect((await storage.auth.getKeys(doomed.id, 'pre-key', ['1', '2'])).size).toBe(0)
    expect(await storage.auth.scanKeys(doomed.id)).toEqual([])
    if (h.caps.messages) expect(await storage.messages!.get(doomed.id, 'm')).toBeNull()
    if (h.caps.outbox) expect(await storage.outbox!.list({ sessionId: doomed.id })).toEqual([])
    if (h.caps.leases) expect(await storage.leases!.owner(doomed.id)).toBeNull()
    if (h.inspect.countSessionRows) {
      const rows = await h.inspect.countSessionRows(doomed.id)
      expect(Object.fromEntries(Object.keys(rows).map((table) => [table, 0]))).toEqual(rows)
    }

    expect(hex(await storage.auth.readCreds(kept.id))).toBe(hex(bytes(64, 1)))
    expect((await storage.auth.scanKeys(kept.id)).length).toBe(3)
    if (h.caps.messages) expect(await storage.messages!.get(kept.id, 'm')).not.toBeNull()
    if (h.caps.outbox) expect((await storage.outbox!.list({ sessionId: kept.id })).length).toBe(1)
    if (h.caps.leases) expect((await storage.leases!.owner(kept.id))?.ownerId).toBe('owner')

    // A new session with the old id starts empty.
    await storage.sessions.create({ ...doomed })
    expect(await storage.auth.readCreds(doomed.id)).toBeNull()
    expect(await storage.auth.scanKeys(doomed.id)).toEqual([])
  })

  it('session ids with % and _ (LIKE wildcards) only ever match themselves', async ({ storage, session, tenant }) => {
    // Suffixed so the test holds without reset; 'a%-<suffix>' as a LIKE pattern would still match 'abc-<suffix>'.
    const id = (base: string) => `${base}-${tenant}`
    const bases = ['a_c', 'abc', 'a%', 'a%c', 'ab', 'a\\c', 'A_C']
    for (const [i, base] of bases.entries()) {
      await session({ id: id(base), name: `like ${base}` })
      await storage.auth.commit(id(base), { creds: bytes(8, i), keys: { session: { [base]: bytes(8, i) } } })
    }
    await storage.auth.clear(id('a_c'))
    expect(await storage.sessions.delete(id('a%'))).toBe(true)
    for (const [i, base] of bases.entries()) {
      if (base === 'a_c' || base === 'a%') continue
      expect(`${base}: ${hex(await storage.auth.readCreds(id(base)))}`).toBe(`${base}: ${hex(bytes(8, i))}`)
      expect(`${base}: ${(await storage.auth.getKeys(id(base), 'session', [base])).size}`).toBe(`${base}: 1`)
    }
    expect(await storage.auth.readCreds(id('a_c'))).toBeNull()
    expect(await storage.sessions.get(id('a_c'))).not.toBeNull()
    expect(await storage.sessions.get(id('a%'))).toBeNull()
  })
}
