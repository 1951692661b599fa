import type { KeyChanges, StorageAdapter } from '../../../storage/types.js'
import { bytes, codeOf, hex, hexMap, type Harness } from '../harness.js'

const id4 = (i: number) => `k${String(i).padStart(4, '0')}`

export function atomicityTests(h: Harness): void {
  const { it, expect } = h

  /** 100 keys and creds, then a batch that overwrites half, deletes half, adds 2,000 and replaces creds. */
  const seedAndBatch = () => {
    const seed: Record<string, Uint8Array> = {}
    for (let i = 0; i < 100; i++) seed[id4(i)] = bytes(32, i)
    const batch: Record<string, Uint8Array | null> = {}
    for (let i = 0; i < 50; i++) batch[id4(i)] = bytes(32, 5_000 + i)
    for (let i = 50; i < 100; i++) batch[id4(i)] = null
    for (let i = 100; i < 2_100; i++) batch[id4(i)] = bytes(32, i)
    return { seed, batch }
  }

  const expectUnchanged = async (storage: StorageAdapter, sessionId: string, seed: Record<string, Uint8Array>) => {
    const ids = Array.from({ length: 2_100 }, (_, i) => id4(i))
    expect(hexMap(await storage.auth.getKeys(sessionId, 'pre-key', ids))).toEqual(hexMap(new Map(Object.entries(seed))))
    expect(hex(await storage.auth.readCreds(sessionId))).toBe(hex(bytes(64, 1)))
  }

  it('a batch holding a value that is not bytes is rejected whole', async ({ storage, session }) => {
    const s = await session()
    const { seed, batch } = seedAndBatch()
    await storage.auth.commit(s.id, { creds: bytes(64, 1), keys: { 'pre-key': seed } })
    const poisoned: KeyChanges = { 'pre-key': { ...batch, [id4(1_000)]: 'not bytes' as unknown as Uint8Array } }
    expect(await codeOf(storage.auth.commit(s.id, { creds: bytes(64, 2), keys: poisoned }))).not.toBe('resolved (expected a rejection)')
    await expectUnchanged(storage, s.id, seed)
  })

  /** Seeds, installs a backend fault, commits the batch (must fail as STORAGE_ERROR), and returns for checks. */
  const commitUnderFault = async (storage: StorageAdapter, sessionId: string, install: () => Promise<() => Promise<void>>) => {
    const { seed, batch } = seedAndBatch()
    await storage.auth.commit(sessionId, { creds: bytes(64, 1), keys: { 'pre-key': seed } })
    const remove = await install()
    try {
      expect(await codeOf(storage.auth.commit(sessionId, { creds: bytes(64, 2), keys: { 'pre-key': batch, session: { a: bytes(8, 1) } } }))).toBe('STORAGE_ERROR')
    } finally {
      await remove()
    }
    await expectUnchanged(storage, sessionId, seed)
    expect((await storage.auth.getKeys(sessionId, 'session', ['a'])).size).toBe(0)
    return batch
  }
  const withFaults = { when: Boolean(h.faults), skipReason: 'needs a fault injector (options.faults)' }

  it(
    'a failure inside the backend in the middle of a batch applies nothing (keys)',
    async ({ storage, session }) => {
      const s = await session()
      const batch = await commitUnderFault(storage, s.id, () => h.faults!.failKeyWrite(id4(1_000)))
      // Without the fault the same batch goes through whole.
      await storage.auth.commit(s.id, { creds: bytes(64, 2), keys: { 'pre-key': batch } })
      expect((await storage.auth.getKeys(s.id, 'pre-key', Object.keys(batch))).size).toBe(2_050)
    },
    withFaults,
  )

  it(
    'a failure writing creds applies none of the keys of the same batch',
    async ({ storage, session }) => {
      const s = await session()
      await commitUnderFault(storage, s.id, () => h.faults!.failCredsWrite())
    },
    withFaults,
  )

  it('concurrent commits lose nothing (categories, sessions and instances in parallel)', async ({ storage, session, open }) => {
    const other = await open()
    const sessions = [await session(), await session()]
    const writes: Promise<void>[] = []
    const expected: [string, string, string, Uint8Array][] = []
    for (let i = 0; i < 60; i++) {
      const s = sessions[i % 2]!
      const category = ['session', 'sender-key', 'pre-key', 'identity-key'][i % 4]!
      const value = bytes(64, i)
      expected.push([s.id, category, `id-${i}`, value])
      writes.push((i % 3 ? storage : other).auth.commit(s.id, { keys: { [category]: { [`id-${i}`]: value } } }))
    }
    await Promise.all(writes)
    for (const [sessionId, category, id, value] of expected) {
      expect(`${category}/${id}: ${hex((await storage.auth.getKeys(sessionId, category, [id])).get(id))}`).toBe(`${category}/${id}: ${hex(value)}`)
    }
  })

  it('concurrent commits to the same key all succeed and one of them is the final value', async ({ storage, session, open }) => {
    const other = await open()
    const s = await session()
    const values = Array.from({ length: 20 }, (_, i) => bytes(32, i))
    await Promise.all(values.map((value, i) => (i % 2 ? other : storage).auth.commit(s.id, { keys: { session: { same: value } } })))
    const final = hex((await storage.auth.getKeys(s.id, 'session', ['same'])).get('same'))
    expect(values.map(hex)).toContain(final)
  })

  it('overlapping batches committed concurrently all succeed (no deadlock), each key holding one of the values', async ({ storage, session, open }) => {
    const other = await open()
    const s = await session()
    const ids = Array.from({ length: 300 }, (_, i) => id4(i))
    const batches = Array.from({ length: 6 }, (_, b) => {
      // Opposite insertion orders: what makes naive multi-row writes deadlock.
      const order = b % 2 ? [...ids].reverse() : ids
      return { keys: { session: Object.fromEntries(order.map((id) => [id, bytes(16, b)])), 'sender-key': Object.fromEntries(order.map((id) => [id, bytes(16, b)])) } }
    })
    await Promise.all(batches.map((batch, b) => (b % 2 ? other : storage).auth.commit(s.id, batch)))
    const found = await storage.auth.getKeys(s.id, 'session', ids)
    expect(found.size).toBe(300)
    const allowed = new Set(batches.map((_, b) => hex(bytes(16, b))))
    expect([...found.values()].filter((v) => !allowed.has(hex(v)))).toEqual([])
  })

  it('readers see a batch whole or not at all', async ({ storage, session, open }) => {
    const writer = await open()
    const s = await session()
    const ids = Array.from({ length: 200 }, (_, i) => id4(i))
    const generation = (g: number) => ({ session: Object.fromEntries(ids.map((id) => [id, bytes(8, g)])) })
    await writer.auth.commit(s.id, { keys: generation(0) })
    const generations = new Map(Array.from({ length: 21 }, (_, g) => [hex(bytes(8, g)), g]))
    let writing = true
    const writes = (async () => {
      for (let g = 1; g <= 20; g++) await writer.auth.commit(s.id, { keys: generation(g) })
      writing = false
    })()
    const torn: string[] = []
    let reads = 0
    while (writing || reads < 5) {
      const seen = new Set([...(await storage.auth.getKeys(s.id, 'session', ids)).values()].map((v) => generations.get(hex(v)!)))
      if (seen.size !== 1) torn.push([...seen].join(','))
      reads++
    }
    await writes
    expect(torn).toEqual([])
  })
}
