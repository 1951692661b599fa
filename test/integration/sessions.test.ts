import { describe, expect, it } from 'vitest'
import { createMemoryStorage, type StorageAdapter } from '../../src/index.js'
import { eventually, managedHarness, pairedSession } from '../helpers/manager.js'

const harness = managedHarness()

describe('sessions', () => {
  it('create with a chosen id, metadata, webhooks and proxy; info() hides secrets', async () => {
    const h = await harness()
    const s = await h.manager.create({
      id: 'shop-1',
      name: 'Shop',
      metadata: { plan: 'pro' },
      webhooks: [{ url: 'https://hooks.example/wa', secret: 'hmac-secret-value', headers: { authorization: 'Bearer tok-123' } }],
      proxy: { url: 'http://user:proxy-pass@proxy.local:3128' },
    })
    expect(s.id).toBe('shop-1')
    const info = JSON.stringify(s.info())
    expect(info).not.toContain('hmac-secret-value')
    expect(info).not.toContain('tok-123')
    expect(info).not.toContain('proxy-pass')
    expect(s.info()).toMatchObject({ id: 'shop-1', name: 'Shop', status: 'stopped', metadata: { plan: 'pro' }, webhooks: [{ url: 'https://hooks.example/wa' }] })
    // The session itself keeps the real values for the plugins that need them.
    expect(s.webhooks[0]!.secret).toBe('hmac-secret-value')
  })

  it('update changes webhooks and metadata at run time and emits session.updated', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'upd')
    const updates: unknown[] = []
    h.manager.on('session.updated', (e) => updates.push(e.data))
    const info = await s.update({ metadata: { a: 1 }, webhooks: [{ url: 'https://x.example/hook' }], name: 'renamed' })
    expect(info).toMatchObject({ name: 'renamed', metadata: { a: 1 } })
    expect(updates).toHaveLength(1)
    expect(s.status).toBe('connected')
    expect(await h.manager.storage.sessions.get(s.id)).toMatchObject({ name: 'renamed', metadata: { a: 1 }, webhooks: [{ url: 'https://x.example/hook' }] })
    await expect(s.update({ bogus: 1 } as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.update({ webhooks: 'nope' as never })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.update({ rateLimit: { perSecond: 0, burst: 1 } })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
  })

  it('delete disconnects and removes everything the session stored, nothing else', async () => {
    const h = await harness()
    const doomed = await pairedSession(h, 'doomed')
    const kept = await pairedSession(h, 'kept', '5511999990002')
    await doomed.sendText('5511988887777', 'x')
    await h.manager.storage.auth.commit(doomed.id, { keys: { 'pre-key': { '1': new Uint8Array([1]) } } })
    await h.manager.storage.auth.commit(kept.id, { keys: { 'pre-key': { '1': new Uint8Array([2]) } } })
    const deleted: unknown[] = []
    h.manager.on('session.deleted', (e) => deleted.push(e))
    const live = h.mock.socket(doomed.id)!
    await h.manager.delete(doomed.id)
    expect(live.ended).toBe(true)
    expect(deleted).toEqual([{ sessionId: doomed.id, tenantId: null, data: { id: doomed.id } }])
    expect(h.manager.get(doomed.id)).toBeUndefined()
    expect(await h.manager.storage.sessions.get(doomed.id)).toBeNull()
    expect(await h.manager.storage.auth.readCreds(doomed.id)).toBeNull()
    expect((await h.manager.storage.auth.getKeys(doomed.id, 'pre-key', ['1'])).size).toBe(0)
    expect(await h.manager.storage.messages!.get(doomed.id, 'x')).toBeNull()
    expect((await h.manager.storage.auth.getKeys(kept.id, 'pre-key', ['1'])).get('1')).toEqual(new Uint8Array([2]))
    expect(kept.status).toBe('connected')
    await expect(doomed.connect()).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })
  })

  it('lists with filters and cursors, every session exactly once', async () => {
    const h = await harness()
    for (let i = 0; i < 7; i++) await h.manager.create({ name: `n${i}`, tenantId: i % 2 ? 'odd' : 'even' })
    const c = await pairedSession(h, 'connected-one')
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await h.manager.list({ limit: 3, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((s) => s.name))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    expect(seen).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'connected-one'])
    expect((await h.manager.list({ tenantId: 'odd' })).items.map((s) => s.name)).toEqual(['n1', 'n3', 'n5'])
    await eventually(async () => expect((await h.manager.list({ status: 'connected' })).items).toEqual([c]))
    await expect(h.manager.list({ cursor: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
  })

  it('tenant views cannot see or touch other tenants', async () => {
    const h = await harness()
    const acme = h.manager.forTenant('acme')
    const globex = h.manager.forTenant('globex')
    const a = await acme.create({ name: 'bot' })
    const g = await globex.create({ name: 'bot' })
    expect(a.tenantId).toBe('acme')
    expect(acme.get(g.id)).toBeUndefined()
    expect(() => acme.getOrThrow(g.id)).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }))
    await expect(acme.delete(g.id)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })
    expect(h.manager.get(g.id)).toBe(g)
    expect((await acme.list()).items).toEqual([a])
    expect(() => acme.create({ name: 'x', tenantId: 'globex' } as never)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }))
    await acme.delete(a.id)
    expect(h.manager.get(a.id)).toBeUndefined()
  })

  it('a session with a proxy never connects directly when no plugin applies the proxy', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'proxied', proxy: { url: 'socks5://127.0.0.1:1080' } })
    await s.connect()
    await s.waitFor('failed')
    expect(s.error).toMatchObject({ code: 'PROXY_INVALID' })
    expect(h.mock.sockets(s.id)).toHaveLength(0)
  })

  it('health reports storage and sessions by status', async () => {
    const h = await harness()
    await pairedSession(h, 'healthy')
    await h.manager.create({ name: 'idle' })
    const report = await h.manager.health()
    expect(report).toMatchObject({ ok: true, storage: { ok: true, kind: 'memory' }, sessions: { total: 2 } })
    expect(report.sessions.byStatus).toMatchObject({ connected: 1, stopped: 1, failed: 0 })
  })

  it('stats count contacts, groups, chats and messages, and survive a restart', async () => {
    const { createMemoryBacking } = await import('../../src/index.js')
    const backing = createMemoryBacking()
    const h = await harness({ storage: createMemoryStorage({ backing }), statsFlushMs: 5 })
    const s = await pairedSession(h, 'stats')
    const live = h.mock.socket(s.id)!
    live.emit('contacts.upsert', [{ id: 'a@s.whatsapp.net' }, { id: 'b@s.whatsapp.net' }, { id: 'a@s.whatsapp.net' }, { id: '1203630001@g.us' }])
    live.emit('chats.upsert', [{ id: 'a@s.whatsapp.net' }, { id: '1203630001@g.us' }] as never)
    live.emit('groups.upsert', [{ id: '1203630002@g.us' } as never])
    live.emit('chats.delete', ['a@s.whatsapp.net'])
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'in' })
    await s.sendText('5511988887777', 'out')
    await eventually(() => expect(s.stats).toEqual({ contacts: 2, groups: 2, chats: 1, messagesSent: 1, messagesReceived: 1 }))
    await eventually(() => expect(backing.sessions.get(s.id)!.stats).toEqual(s.stats))
    await h.manager.stop()
    const again = await harness({ storage: createMemoryStorage({ backing }) })
    expect(again.manager.get(s.id)!.stats).toEqual({ contacts: 2, groups: 2, chats: 1, messagesSent: 1, messagesReceived: 1 })
  })
})

/** Wraps an adapter so tests can make chosen operations fail like a real database outage. */
function faulty(storage: StorageAdapter) {
  const failing = new Set<string>()
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value = Reflect.get(obj, prop, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          if (failing.has(`${prefix}.${String(prop)}`)) return Promise.reject(new Error(`injected ${prefix}.${String(prop)} failure`))
          return (value as (...a: unknown[]) => unknown).apply(obj, args)
        }
      },
    })
  const adapter: StorageAdapter = { ...storage, sessions: wrap(storage.sessions, 'sessions'), auth: wrap(storage.auth, 'auth'), init: storage.init, close: storage.close, ping: () => (failing.has('ping') ? Promise.reject(new Error('db down')) : storage.ping()) }
  return { adapter, failing }
}

describe('storage failures are surfaced, never turned into a re-pair', () => {
  it('unreadable credentials: connect fails with a storage error and nothing is wiped', async () => {
    const { createMemoryBacking } = await import('../../src/index.js')
    const backing = createMemoryBacking()
    const first = await harness({ storage: createMemoryStorage({ backing }) })
    const s = await pairedSession(first, 'precious')
    await first.manager.stop()
    const { adapter, failing } = faulty(createMemoryStorage({ backing }))
    failing.add('auth.readCreds')
    const h = await harness({ storage: adapter })
    const again = h.manager.get(s.id)!
    expect(again.status).toBe('failed')
    expect(again.error?.code).toBe('STORAGE_ERROR')
    expect(h.mock.sockets(s.id)).toHaveLength(0)
    await expect(again.connect()).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    expect(h.mock.sockets(s.id)).toHaveLength(0)
    expect(backing.creds.get(s.id)).toBeDefined()
    failing.clear()
    await again.connect()
    await again.waitFor('connected')
    expect(h.mock.socket(s.id)!.qrs).toHaveLength(0)
  })

  it('corrupt credentials: CODEC_ERROR, no new QR', async () => {
    const { createMemoryBacking } = await import('../../src/index.js')
    const backing = createMemoryBacking()
    const first = await harness({ storage: createMemoryStorage({ backing }) })
    const s = await pairedSession(first, 'corrupt')
    await first.manager.stop()
    const stored = backing.creds.get(s.id)!
    backing.creds.set(s.id, stored.subarray(0, stored.length / 2))
    const h = await harness({ storage: createMemoryStorage({ backing }) })
    expect(h.manager.get(s.id)!.error?.code).toBe('CODEC_ERROR')
    expect(h.manager.get(s.id)!.status).toBe('failed')
    expect(h.mock.sockets(s.id)).toHaveLength(0)
  })

  it('credentials that cannot be saved stop the session with the error instead of running on unsaved state', async () => {
    const { adapter, failing } = faulty(createMemoryStorage())
    const h = await harness({ storage: adapter })
    const s = await h.manager.create({ name: 'unsaved' })
    await s.connect()
    await s.waitFor('qr')
    failing.add('auth.commit')
    h.mock.scan(s.id)
    await s.waitFor('failed')
    expect(s.error?.code).toBe('STORAGE_ERROR')
    expect(h.mock.socket(s.id)).toBeUndefined()
  })

  it('a key read that fails rejects to Baileys and is reported on the session', async () => {
    const { adapter, failing } = faulty(createMemoryStorage())
    const h = await harness({ storage: adapter })
    const s = await pairedSession(h, 'reads')
    const errors: string[] = []
    s.on('session.error', (e) => errors.push(e.code))
    failing.add('auth.getKeys')
    const keys = h.mock.socket(s.id)!.options.config.auth.keys
    await expect(keys.get('session', ['5511988887777.0'])).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    expect(errors).toEqual(['STORAGE_ERROR'])
    expect(s.error?.message).toContain('injected auth.getKeys failure')
  })

  it('health says when storage is down', async () => {
    const { adapter, failing } = faulty(createMemoryStorage())
    const h = await harness({ storage: adapter })
    failing.add('ping')
    const report = await h.manager.health()
    expect(report.ok).toBe(false)
    expect(report.storage).toMatchObject({ ok: false, error: { code: 'STORAGE_ERROR', message: expect.stringContaining('db down') } })
  })
})

describe('scale', () => {
  it('200 sessions are created, paired, messaged and stopped in one process', async () => {
    const h = await harness()
    const sessions = await Promise.all(Array.from({ length: 200 }, (_, i) => h.manager.create({ name: `bulk-${i}` })))
    await Promise.all(sessions.map((s) => s.connect()))
    await Promise.all(sessions.map((s) => s.waitFor('qr')))
    sessions.forEach((s, i) => h.mock.scan(s.id, { phoneNumber: `55119${String(i).padStart(8, '0')}` }))
    await Promise.all(sessions.map((s) => s.waitFor('connected')))
    await Promise.all(sessions.map((s, i) => s.sendText('5511988887777', `hello from ${i}`)))
    sessions.forEach((s) => h.mock.receiveText(s.id, { from: '5511988887777', text: 'ping' }))
    await eventually(() => expect(sessions.every((s) => s.stats.messagesSent === 1 && s.stats.messagesReceived === 1)).toBe(true))
    expect(h.mock.liveCount()).toBe(200)
    await h.manager.stop()
    expect(h.mock.liveCount()).toBe(0)
  })
})
