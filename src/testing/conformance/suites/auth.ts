import type { StoredKey } from '../../../storage/types.js'
import { bytes, codeOf, hex, hexMap, type Harness } from '../harness.js'

/** Every category Baileys 7 writes, plus one it may add tomorrow: the adapter must not care. */
export const BAILEYS_KEY_CATEGORIES = [
  'pre-key',
  'session',
  'sender-key',
  'sender-key-memory',
  'app-state-sync-key',
  'app-state-sync-version',
  'lid-mapping',
  'device-list',
  'tctoken',
  'identity-key',
] as const

export function authTests(h: Harness): void {
  const { it, expect } = h

  it('creds: null when absent, byte-exact round trip, overwritten whole', async ({ storage, session }) => {
    const s = await session()
    expect(await storage.auth.readCreds(s.id)).toBeNull()
    await storage.auth.commit(s.id, { creds: bytes(1200, 1) })
    expect(hex(await storage.auth.readCreds(s.id))).toBe(hex(bytes(1200, 1)))
    await storage.auth.commit(s.id, { creds: bytes(40, 2) })
    expect(hex(await storage.auth.readCreds(s.id))).toBe(hex(bytes(40, 2)))
  })

  it('every Baileys key category and an unknown one round-trip byte-exact', async ({ storage, session }) => {
    const s = await session()
    const categories = [...BAILEYS_KEY_CATEGORIES, 'x-category-from-the-future']
    const sizes = [0, 1, 33, 1024, 70_000]
    const special = [new Uint8Array([0]), new Uint8Array([0xff, 0x00, 0xfe]), new Uint8Array([0x5c, 0x78, 0x30, 0x30])] // includes the bytes of "\\x00"
    const keys: Record<string, Record<string, Uint8Array>> = {}
    categories.forEach((category, c) => {
      keys[category] = {}
      sizes.forEach((size, i) => (keys[category]![`id-${i}`] = bytes(size, c * 100 + i)))
      special.forEach((value, i) => (keys[category]![`special-${i}`] = value))
    })
    await storage.auth.commit(s.id, { keys })
    for (const category of categories) {
      const ids = Object.keys(keys[category]!)
      const found = await storage.auth.getKeys(s.id, category, ids)
      expect(hexMap(found)).toEqual(hexMap(new Map(Object.entries(keys[category]!))))
      for (const value of found.values()) expect(value).toBeInstanceOf(Uint8Array)
      if (h.inspect.readKey) expect(hex(await h.inspect.readKey(s.id, category, 'id-3'))).toBe(hex(keys[category]!['id-3']))
    }
  })

  it('getKeys returns only ids that exist, in that category and that session', async ({ storage, session }) => {
    const a = await session()
    const b = await session()
    await storage.auth.commit(a.id, { keys: { session: { x: bytes(4, 1), y: bytes(4, 2) }, 'identity-key': { z: bytes(4, 3) } } })
    await storage.auth.commit(b.id, { keys: { session: { z: bytes(4, 4) } } })
    expect(hexMap(await storage.auth.getKeys(a.id, 'session', ['x', 'missing', 'z', 'x']))).toEqual({ x: hex(bytes(4, 1)) })
    expect((await storage.auth.getKeys(a.id, 'session', [])).size).toBe(0)
    expect((await storage.auth.getKeys(a.id, 'pre-key', ['x', 'y'])).size).toBe(0)
    expect((await storage.auth.getKeys('no-such-session', 'session', ['x'])).size).toBe(0)
  })

  it('null deletes; deleting a missing id is fine; upserts and deletes mix in one batch', async ({ storage, session }) => {
    const s = await session()
    await storage.auth.commit(s.id, { keys: { 'pre-key': { '1': bytes(8, 1), '2': bytes(8, 2), '3': bytes(8, 3) }, session: { a: bytes(8, 4) } } })
    await storage.auth.commit(s.id, {
      keys: { 'pre-key': { '1': null, '2': bytes(8, 22), '4': bytes(8, 4), 'never-existed': null }, session: { a: null, b: bytes(8, 5) } },
    })
    expect(hexMap(await storage.auth.getKeys(s.id, 'pre-key', ['1', '2', '3', '4', 'never-existed']))).toEqual({
      '2': hex(bytes(8, 22)),
      '3': hex(bytes(8, 3)),
      '4': hex(bytes(8, 4)),
    })
    expect(hexMap(await storage.auth.getKeys(s.id, 'session', ['a', 'b']))).toEqual({ b: hex(bytes(8, 5)) })
    // A batch of deletes only, and an empty batch, are valid commits.
    await storage.auth.commit(s.id, { keys: { 'pre-key': { '2': null } } })
    await storage.auth.commit(s.id, {})
    expect([...(await storage.auth.getKeys(s.id, 'pre-key', ['2', '3'])).keys()]).toEqual(['3'])
  })

  it('clear removes creds and keys, keeps the session record, and touches no other session', async ({ storage, session }) => {
    const a = await session()
    const b = await session()
    for (const s of [a, b]) await storage.auth.commit(s.id, { creds: bytes(16, 1), keys: { session: { x: bytes(8, 2) }, 'pre-key': { '1': bytes(8, 3) } } })
    await storage.auth.clear(a.id)
    expect(await storage.auth.readCreds(a.id)).toBeNull()
    expect(await storage.auth.scanKeys(a.id)).toEqual([])
    expect(await storage.sessions.get(a.id)).toEqual(a)
    expect(hex(await storage.auth.readCreds(b.id))).toBe(hex(bytes(16, 1)))
    expect((await storage.auth.scanKeys(b.id)).length).toBe(2)
    await storage.auth.clear(a.id)
  })

  it('commit to a missing session is SESSION_NOT_FOUND, whatever the batch holds', async ({ storage }) => {
    expect(await codeOf(storage.auth.commit('no-such-session', { keys: { session: { a: bytes(4, 1) } } }))).toBe('SESSION_NOT_FOUND')
    expect(await codeOf(storage.auth.commit('no-such-session', { creds: bytes(4, 1) }))).toBe('SESSION_NOT_FOUND')
    expect(await codeOf(storage.auth.commit('no-such-session', { keys: { session: { a: null } } }))).toBe('SESSION_NOT_FOUND')
    expect(await storage.auth.readCreds('no-such-session')).toBeNull()
  })

  it('scanKeys pages through every key once, in (category, id) order', async ({ storage, session }) => {
    const s = await session()
    const keys: Record<string, Record<string, Uint8Array>> = {}
    const expected: string[] = []
    for (const [c, category] of ['session', 'pre-key', 'app-state-sync-key'].entries()) {
      keys[category] = {}
      for (let i = 0; i < 7; i++) keys[category]![`k${i}`] = bytes(8, c * 10 + i)
    }
    await storage.auth.commit(s.id, { keys })
    for (const category of Object.keys(keys).sort()) for (const id of Object.keys(keys[category]!).sort()) expected.push(`${category}/${id}`)
    const seen: StoredKey[] = []
    let after: StoredKey | undefined
    for (;;) {
      const page = await storage.auth.scanKeys(s.id, { limit: 4, ...(after ? { after } : {}) })
      expect(page.length).toBeLessThanOrEqual(4)
      if (page.length === 0) break
      seen.push(...page)
      after = page.at(-1)
    }
    expect(seen.map((k) => `${k.category}/${k.id}`)).toEqual(expected)
    for (const k of seen) expect(`${k.category}/${k.id} ${hex(k.value)}`).toBe(`${k.category}/${k.id} ${hex(keys[k.category]![k.id])}`)
    expect((await storage.auth.scanKeys(s.id)).length).toBe(21)
    expect(await storage.auth.scanKeys(s.id, { after: { category: 'zzz', id: '' } })).toEqual([])
    expect(await storage.auth.scanKeys('no-such-session')).toEqual([])
    expect(await codeOf(storage.auth.scanKeys(s.id, { limit: 0 }))).toBe('VALIDATION_ERROR')
  })

  it('the same key ids in two sessions are independent', async ({ storage, session }) => {
    const a = await session()
    const b = await session()
    await storage.auth.commit(a.id, { keys: { session: { same: bytes(8, 1) } } })
    await storage.auth.commit(b.id, { keys: { session: { same: bytes(8, 2) } } })
    await storage.auth.commit(a.id, { keys: { session: { same: null } } })
    expect((await storage.auth.getKeys(a.id, 'session', ['same'])).size).toBe(0)
    expect(hex((await storage.auth.getKeys(b.id, 'session', ['same'])).get('same'))).toBe(hex(bytes(8, 2)))
  })

  it('stored bytes are copies: mutating what was written or read changes nothing stored', async ({ storage, session }) => {
    const s = await session()
    const value = bytes(16, 1)
    await storage.auth.commit(s.id, { keys: { session: { a: value } } })
    value.fill(0)
    const read = (await storage.auth.getKeys(s.id, 'session', ['a'])).get('a')!
    expect(hex(read)).toBe(hex(bytes(16, 1)))
    read.fill(0)
    expect(hex((await storage.auth.getKeys(s.id, 'session', ['a'])).get('a'))).toBe(hex(bytes(16, 1)))
  })
}
