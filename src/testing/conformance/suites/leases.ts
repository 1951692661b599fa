import { bytes, codeOf, hex, sleep, type Harness } from '../harness.js'

export function leaseTests(h: Harness): void {
  const { it, expect } = h
  const when = { when: h.caps.leases, skipReason: 'adapter has no leases capability' }

  it(
    'leases: acquire is exclusive; the owner may acquire again; renew needs the current token',
    async ({ storage, session, open }) => {
      const other = await open()
      const s = await session()
      const a = await storage.leases!.acquire(s.id, 'A', 60_000)
      expect(a?.ownerId).toBe('A')
      expect(a!.expiresAt).toBeGreaterThan(Date.now() + 30_000)
      expect(await other.leases!.acquire(s.id, 'B', 60_000)).toBeNull()
      expect((await other.leases!.owner(s.id))?.ownerId).toBe('A')
      const again = await storage.leases!.acquire(s.id, 'A', 60_000)
      expect(again!.token >= a!.token).toBe(true)
      expect(await storage.leases!.renew(s.id, 'A', again!.token, 60_000)).toBe(true)
      expect(await storage.leases!.renew(s.id, 'B', again!.token, 60_000)).toBe(false)
      if (again!.token !== a!.token) expect(await storage.leases!.renew(s.id, 'A', a!.token, 60_000)).toBe(false)
    },
    when,
  )

  it(
    'leases: release lets another owner in, with a larger token',
    async ({ storage, session }) => {
      const s = await session()
      const a = await storage.leases!.acquire(s.id, 'A', 60_000)
      await storage.leases!.release(s.id, 'B', a!.token) // not the owner: no effect
      expect((await storage.leases!.owner(s.id))?.ownerId).toBe('A')
      await storage.leases!.release(s.id, 'A', a!.token)
      expect(await storage.leases!.owner(s.id)).toBeNull()
      const b = await storage.leases!.acquire(s.id, 'B', 60_000)
      expect(b!.token > a!.token).toBe(true)
    },
    when,
  )

  it(
    'leases: an expired lease is taken over with a larger token, and the old owner is fenced off',
    async ({ storage, session, open }) => {
      const other = await open()
      const s = await session()
      await storage.auth.commit(s.id, { keys: { session: { x: bytes(4, 1) } } })
      const a = await storage.leases!.acquire(s.id, 'A', 250)
      await sleep(400)
      expect(await storage.leases!.owner(s.id)).toBeNull()
      expect(await storage.leases!.renew(s.id, 'A', a!.token, 60_000)).toBe(false)
      const b = await other.leases!.acquire(s.id, 'B', 60_000)
      expect(b!.token > a!.token).toBe(true)
      expect(await codeOf(storage.auth.commit(s.id, { keys: { session: { x: bytes(4, 2) } }, creds: bytes(4, 2), fencingToken: a!.token }))).toBe('LEASE_LOST')
      expect(hex((await storage.auth.getKeys(s.id, 'session', ['x'])).get('x'))).toBe(hex(bytes(4, 1)))
      expect(await storage.auth.readCreds(s.id)).toBeNull()
      await other.auth.commit(s.id, { keys: { session: { x: bytes(4, 3) } }, fencingToken: b!.token })
      expect(hex((await storage.auth.getKeys(s.id, 'session', ['x'])).get('x'))).toBe(hex(bytes(4, 3)))
    },
    when,
  )

  it(
    'leases: a fencing token for a session nobody leased is LEASE_LOST',
    async ({ storage, session }) => {
      const s = await session()
      expect(await codeOf(storage.auth.commit(s.id, { keys: { session: { x: null } }, fencingToken: 1n }))).toBe('LEASE_LOST')
    },
    when,
  )

  it(
    'leases: concurrent acquires by different owners: exactly one wins',
    async ({ storage, session, open }) => {
      const other = await open()
      const s = await session()
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : storage).leases!.acquire(s.id, `owner-${i}`, 60_000)))
      expect(results.filter((r) => r !== null)).toHaveLength(1)
    },
    when,
  )

  it(
    'leases: acquire on a missing session is SESSION_NOT_FOUND',
    async ({ storage }) => {
      expect(await codeOf(storage.leases!.acquire('no-such-session', 'A', 1000))).toBe('SESSION_NOT_FOUND')
    },
    when,
  )
}
