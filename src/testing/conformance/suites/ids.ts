import { bytes, hex, hexMap, type Harness } from '../harness.js'

/**
 * Key ids as Baileys produces them (base64, Signal addresses, sender-key names, sentinels) and the
 * ones that break naive stores: case-insensitive collations, trailing-space padding, LIKE wildcards,
 * Unicode normalization, length limits.
 */
export const EDGE_CASE_IDS: readonly string[] = [
  'AbC=',
  'abc=',
  'ABC=',
  '2bHZ3+Xx/w==',
  'a/b+c=',
  'x:y',
  'x::y',
  '120363000000000000@g.us::5511999990001::0',
  '5511999990001.0',
  '123456789012345_1.3',
  '5511999990001_reverse',
  '__index',
  'a_b',
  'a%b',
  '%',
  '_',
  'a b',
  'a',
  'a ',
  ' a',
  'a\\b',
  "it's",
  '"quoted"',
  'ção',
  '\u00c5', // Å precomposed (NFC)
  'A\u030a', // Å decomposed (NFD): a different id
  'ǅ', // titlecase letter
  'ß',
  'ss',
  'مرحبا',
  '日本語',
  '👩‍💻',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'k'.repeat(512),
  'K'.repeat(512),
  'é'.repeat(512),
  'x'.repeat(1024),
  'b'.repeat(513),
  'L'.repeat(10_000),
  'é'.repeat(5_000),
]

export function idTests(h: Harness): void {
  const { it, expect } = h

  it('key ids are compared exactly: case, punctuation, whitespace, Unicode, 512 to 10,000 characters', async ({ storage, session }) => {
    const s = await session()
    const values = new Map(EDGE_CASE_IDS.map((id, i) => [id, bytes(12, i + 1)]))
    await storage.auth.commit(s.id, { keys: { 'app-state-sync-key': Object.fromEntries(values) } })
    expect(hexMap(await storage.auth.getKeys(s.id, 'app-state-sync-key', [...EDGE_CASE_IDS]))).toEqual(hexMap(values))
    for (const [i, id] of EDGE_CASE_IDS.entries()) {
      const one = await storage.auth.getKeys(s.id, 'app-state-sync-key', [id])
      expect(`${JSON.stringify(id)} -> ${JSON.stringify([...one.keys()])} ${hex(one.get(id))}`).toBe(
        `${JSON.stringify(id)} -> ${JSON.stringify([id])} ${hex(bytes(12, i + 1))}`,
      )
    }
    const lookalikes = ['abc', 'Abc=', 'a%', 'A%', '%%', 'a_', 'a  ', 'x'.repeat(1023), 'k'.repeat(511), 'c\u0327a\u0303o', 'b'.repeat(512), 'L'.repeat(9_999)]
    expect([...(await storage.auth.getKeys(s.id, 'app-state-sync-key', lookalikes)).keys()]).toEqual([])
    const scanned = await storage.auth.scanKeys(s.id, { limit: 1000 })
    expect(scanned.map((k) => k.id).sort()).toEqual([...EDGE_CASE_IDS].sort())
  })

  it('ids of any length round-trip, are deleted, and never match their prefixes', async ({ storage, session }) => {
    const s = await session()
    // Repetitive ids compress, so an index might still hold them; the random one does not.
    const random = Buffer.from(bytes(15_000, 42)).toString('base64')
    const long = ['y'.repeat(100_000), 'y'.repeat(99_999), `${'y'.repeat(99_999)}z`, '日'.repeat(30_000), random, random.slice(0, -1)]
    await storage.auth.commit(s.id, { keys: { 'sender-key': Object.fromEntries(long.map((id, i) => [id, bytes(8, i + 1)])) } })
    const read = await storage.auth.getKeys(s.id, 'sender-key', [...long, 'y'.repeat(100_001), 'y'.repeat(512)])
    expect(hexMap(read)).toEqual(hexMap(new Map(long.map((id, i) => [id, bytes(8, i + 1)]))))
    await storage.auth.commit(s.id, { keys: { 'sender-key': { [long[0]!]: null, [long[3]!]: bytes(8, 9) } } })
    const after = await storage.auth.getKeys(s.id, 'sender-key', long)
    expect([...after.keys()].sort()).toEqual(long.slice(1).sort())
    expect(hex(after.get(long[3]!))).toBe(hex(bytes(8, 9)))
  })

  it('ids that look like LIKE patterns match only themselves, in reads and deletes', async ({ storage, session }) => {
    const s = await session()
    const ids = ['abc', 'a_c', 'a%', 'axc', 'a%c', '_', '%']
    await storage.auth.commit(s.id, { keys: { session: Object.fromEntries(ids.map((id, i) => [id, bytes(4, i)])) } })
    expect([...(await storage.auth.getKeys(s.id, 'session', ['a_c'])).keys()]).toEqual(['a_c'])
    expect([...(await storage.auth.getKeys(s.id, 'session', ['a%'])).keys()]).toEqual(['a%'])
    await storage.auth.commit(s.id, { keys: { session: { 'a%': null, _: null, 'a_c': null } } })
    expect([...(await storage.auth.getKeys(s.id, 'session', ids)).keys()].sort()).toEqual(['%', 'a%c', 'abc', 'axc'])
  })

  it('categories are compared exactly too', async ({ storage, session }) => {
    const s = await session()
    await storage.auth.commit(s.id, { keys: { session: { a: bytes(4, 1) }, Session: { a: bytes(4, 2) }, 'session ': { a: bytes(4, 3) } } })
    expect(hex((await storage.auth.getKeys(s.id, 'session', ['a'])).get('a'))).toBe(hex(bytes(4, 1)))
    expect(hex((await storage.auth.getKeys(s.id, 'Session', ['a'])).get('a'))).toBe(hex(bytes(4, 2)))
    expect(hex((await storage.auth.getKeys(s.id, 'session ', ['a'])).get('a'))).toBe(hex(bytes(4, 3)))
    expect((await storage.auth.getKeys(s.id, 'sess%', ['a'])).size).toBe(0)
  })
}
