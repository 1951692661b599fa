import type { NewOutboxItem } from '../../../storage/types.js'
import { bytes, codeOf, hex, sleep, type Harness } from '../harness.js'

export function outboxTests(h: Harness): void {
  const { it, expect } = h
  const when = { when: h.caps.outbox, skipReason: 'adapter has no outbox capability' }
  // Outbox ids are global, so every test prefixes its own.
  const item = (prefix: string, i: number, sessionId: string | null, extra: Partial<NewOutboxItem> = {}): NewOutboxItem => ({
    id: `${prefix}-${i}`,
    sessionId,
    target: 'endpoint-1',
    event: 'messages.upsert',
    payload: bytes(30, i),
    ...extra,
  })

  it(
    'outbox: enqueue then claim returns the full item',
    async ({ storage, session, tenant }) => {
      const s = await session()
      const before = Date.now()
      await storage.outbox!.enqueue([item(tenant, 1, s.id, { target: 'endpoint-7', event: 'session.status' })])
      const [claimed, ...rest] = await storage.outbox!.claim(`w-${tenant}`, 10, 60_000)
      expect(rest).toEqual([])
      expect({ ...claimed!, payload: hex(claimed!.payload) }).toEqual({
        id: `${tenant}-1`,
        sessionId: s.id,
        target: 'endpoint-7',
        event: 'session.status',
        payload: hex(bytes(30, 1)),
        status: 'pending',
        attempts: 0,
        lastError: null,
        availableAt: claimed!.availableAt,
        createdAt: claimed!.createdAt,
        updatedAt: claimed!.updatedAt,
      })
      // Timestamps are ms since the epoch, near now (the backend's clock may be a little off ours).
      for (const t of [claimed!.availableAt, claimed!.createdAt, claimed!.updatedAt]) expect(Math.abs(t - before)).toBeLessThanOrEqual(60_000)
    },
    when,
  )

  it(
    'outbox: a claim skips items another worker holds, and honours limit and order',
    async ({ storage, open, tenant }) => {
      const other = await open()
      await storage.outbox!.enqueue(Array.from({ length: 5 }, (_, i) => item(tenant, i, null, { availableAt: Date.now() - 10_000 + i })))
      expect((await storage.outbox!.claim('w1', 2, 60_000)).map((i) => i.id)).toEqual([`${tenant}-0`, `${tenant}-1`])
      expect((await other.outbox!.claim('w2', 10, 60_000)).map((i) => i.id)).toEqual([`${tenant}-2`, `${tenant}-3`, `${tenant}-4`])
      expect(await storage.outbox!.claim('w3', 10, 60_000)).toEqual([])
    },
    when,
  )

  it(
    'outbox: items not yet available are not claimed',
    async ({ storage, tenant }) => {
      await storage.outbox!.enqueue([item(tenant, 1, null, { availableAt: Date.now() + 60_000 })])
      expect(await storage.outbox!.claim('w', 10, 1000)).toEqual([])
      expect((await storage.outbox!.list({ status: 'pending' })).map((i) => i.id)).toContain(`${tenant}-1`)
    },
    when,
  )

  it(
    'outbox: a claim expires after the visibility timeout; only the current claimer can ack',
    async ({ storage, tenant }) => {
      // Timing-free checks use a long visibility; only the expiry itself waits on a short one.
      const [held, expiring] = [`${tenant}-held`, `${tenant}-expiring`]
      await storage.outbox!.enqueue([item(tenant, 0, null, { id: held }), item(tenant, 1, null, { id: expiring })])
      expect((await storage.outbox!.claim('w1', 1, 60_000)).map((i) => i.id)).toEqual([held])
      expect((await storage.outbox!.claim('w1', 1, 250)).map((i) => i.id)).toEqual([expiring])
      await sleep(450)
      expect((await storage.outbox!.claim('w2', 10, 60_000)).map((i) => i.id)).toEqual([expiring])
      await storage.outbox!.ack(expiring, 'w1') // stale claimer: no effect
      expect((await storage.outbox!.list({ status: 'pending' })).map((i) => i.id)).toContain(expiring)
      await storage.outbox!.ack(expiring, 'w2')
      await storage.outbox!.ack(held, 'w2') // never claimed by w2: no effect
      expect((await storage.outbox!.list({ status: 'delivered' })).map((i) => [i.id, i.attempts])).toEqual([[expiring, 1]])
      expect(await storage.outbox!.claim('w3', 10, 60_000)).toEqual([])
    },
    when,
  )

  it(
    'outbox: ackMany (optional) acks a batch in one call, only what this worker holds',
    async ({ storage, tenant }) => {
      const outbox = storage.outbox!
      if (!outbox.ackMany) return // optional: workers fall back to one ack per item
      const ids = [0, 1, 2].map((n) => `${tenant}-many-${n}`)
      await outbox.enqueue(ids.map((id, n) => item(tenant, n, null, { id })))
      expect((await outbox.claim('w1', 2, 60_000)).map((i) => i.id)).toEqual(ids.slice(0, 2))
      expect((await outbox.claim('w2', 1, 60_000)).map((i) => i.id)).toEqual(ids.slice(2))
      await outbox.ackMany([...ids, `${tenant}-unknown`], 'w1')
      await outbox.ackMany([], 'w1')
      expect((await outbox.list({ status: 'delivered' })).map((i) => i.id).filter((id) => ids.includes(id))).toEqual(ids.slice(0, 2))
      expect((await outbox.list({ status: 'pending' })).map((i) => i.id)).toContain(ids[2])
    },
    when,
  )

  it(
    'outbox: enqueueClaimed (optional) stores items already claimed by the worker, and returns the ids it inserted',
    async ({ storage, session, tenant }) => {
      const outbox = storage.outbox!
      if (!outbox.enqueueClaimed) return // optional: workers enqueue, then claim
      const s = await session()
      const [old, fresh, short] = [`${tenant}-old`, `${tenant}-fresh`, `${tenant}-short`]
      await outbox.enqueue([item(tenant, 0, null, { id: old })])
      // An existing id is kept as it was (pending, unclaimed) and is not in the answer.
      expect(await outbox.enqueueClaimed([item(tenant, 1, s.id, { id: fresh }), item(tenant, 2, null, { id: old })], 'w1', 60_000)).toEqual([fresh])
      expect(await outbox.enqueueClaimed([item(tenant, 3, null, { id: short })], 'w1', 200)).toEqual([short])
      expect(await outbox.enqueueClaimed([], 'w1', 60_000)).toEqual([])
      // Claimed by w1: another worker gets only the old item, and w1's ack and fail apply.
      expect((await outbox.claim('w2', 10, 60_000)).map((i) => i.id)).toEqual([old])
      const [stored] = (await outbox.list({ sessionId: s.id })).filter((i) => i.id === fresh)
      expect({ status: stored!.status, attempts: stored!.attempts, sessionId: stored!.sessionId, payload: hex(stored!.payload) }).toEqual({
        status: 'pending',
        attempts: 0,
        sessionId: s.id,
        payload: hex(bytes(30, 1)),
      })
      await outbox.ack(fresh, 'w2')
      expect((await outbox.list({ status: 'delivered' })).map((i) => i.id)).not.toContain(fresh)
      await outbox.ack(fresh, 'w1')
      expect((await outbox.list({ status: 'delivered' })).map((i) => i.id)).toContain(fresh)
      // Its claim expires like any claim: then another worker takes it.
      await sleep(400)
      expect((await outbox.claim('w2', 10, 60_000)).map((i) => i.id)).toEqual([short])
      await expect(outbox.enqueueClaimed([item(tenant, 4, 'no-such-session')], 'w1', 60_000)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })
    },
    when,
  )

  it(
    'outbox: fail reschedules at retryAt, or dead-letters with null; redrive brings dead items back',
    async ({ storage, tenant }) => {
      const [later, soon] = [`${tenant}-later`, `${tenant}-soon`]
      await storage.outbox!.enqueue([item(tenant, 0, null, { id: later }), item(tenant, 1, null, { id: soon })])
      await storage.outbox!.claim('w', 2, 60_000)
      const retryLater = Date.now() + 60_000
      await storage.outbox!.fail(later, 'w', 'HTTP 503', retryLater)
      await storage.outbox!.fail(soon, 'w', 'HTTP 502', Date.now() + 250)
      const [stored] = (await storage.outbox!.list({ target: 'endpoint-1' })).filter((i) => i.id === later)
      expect({ status: stored!.status, attempts: stored!.attempts, lastError: stored!.lastError, availableAt: stored!.availableAt }).toEqual({
        status: 'pending',
        attempts: 1,
        lastError: 'HTTP 503',
        availableAt: retryLater,
      })
      await sleep(450)
      // The one due soon is back; the one due in a minute is not.
      expect((await storage.outbox!.claim('w', 10, 60_000)).map((i) => i.id)).toEqual([soon])
      await storage.outbox!.fail(soon, 'w', 'HTTP 400', null)
      const [dead] = (await storage.outbox!.list({ status: 'dead' })).filter((i) => i.id === soon)
      expect({ status: dead!.status, attempts: dead!.attempts, lastError: dead!.lastError }).toEqual({ status: 'dead', attempts: 2, lastError: 'HTTP 400' })
      expect(await storage.outbox!.claim('w', 10, 60_000)).toEqual([])

      expect(await storage.outbox!.redrive([soon, later, `${tenant}-unknown`])).toBe(1)
      expect(await storage.outbox!.redrive([soon])).toBe(0)
      const [again] = await storage.outbox!.claim('w', 10, 60_000)
      expect({ id: again?.id, attempts: again?.attempts, status: again?.status }).toEqual({ id: soon, attempts: 0, status: 'pending' })
    },
    when,
  )

  it(
    'outbox: ack and fail add the attempts a claim made (1 when not given)',
    async ({ storage, tenant }) => {
      const ids = [0, 1, 2, 3].map((i) => `${tenant}-n${i}`)
      await storage.outbox!.enqueue(ids.map((id, i) => item(tenant, i, null, { id })))
      await storage.outbox!.claim('w', 4, 60_000)
      await storage.outbox!.ack(ids[0]!, 'w')
      await storage.outbox!.ack(ids[1]!, 'w', 3)
      await storage.outbox!.fail(ids[2]!, 'w', 'HTTP 503', Date.now() + 60_000, 2)
      await storage.outbox!.fail(ids[3]!, 'w', 'HTTP 400', null, 4)
      const byId = new Map((await storage.outbox!.list({ target: 'endpoint-1' })).map((i) => [i.id, i]))
      expect(ids.map((id) => [byId.get(id)?.status, byId.get(id)?.attempts])).toEqual([
        ['delivered', 1],
        ['delivered', 3],
        ['pending', 2],
        ['dead', 4],
      ])
    },
    when,
  )

  it(
    'outbox: enqueue is idempotent by id (the first copy stays)',
    async ({ storage, tenant }) => {
      await storage.outbox!.enqueue([item(tenant, 1, null, { payload: bytes(4, 1) }), item(tenant, 1, null, { payload: bytes(4, 2) })])
      await storage.outbox!.enqueue([item(tenant, 1, null, { payload: bytes(4, 3) })])
      const copies = (await storage.outbox!.list({ target: 'endpoint-1' })).filter((i) => i.id === `${tenant}-1`)
      expect(copies.map((i) => hex(i.payload))).toEqual([hex(bytes(4, 1))])
    },
    when,
  )

  it(
    'outbox: list filters by session, status and target, in enqueue order, with a limit',
    async ({ storage, session, tenant }) => {
      const a = await session()
      const b = await session()
      await storage.outbox!.enqueue([item(tenant, 1, a.id), item(tenant, 2, b.id, { target: 'endpoint-2' }), item(tenant, 3, a.id)])
      expect((await storage.outbox!.list({ sessionId: a.id })).map((i) => i.id)).toEqual([`${tenant}-1`, `${tenant}-3`])
      expect((await storage.outbox!.list({ sessionId: a.id, limit: 1 })).map((i) => i.id)).toEqual([`${tenant}-1`])
      expect((await storage.outbox!.list({ sessionId: b.id, target: 'endpoint-2', status: 'pending' })).map((i) => i.id)).toEqual([`${tenant}-2`])
      expect(await storage.outbox!.list({ sessionId: b.id, target: 'endpoint-1' })).toEqual([])
    },
    when,
  )

  it(
    'outbox: purge removes delivered items older than the cutoff, nothing else',
    async ({ storage, tenant }) => {
      await storage.outbox!.enqueue([item(tenant, 1, null), item(tenant, 2, null)])
      const claimed = await storage.outbox!.claim(`w-${tenant}`, 10, 60_000)
      await storage.outbox!.ack(`${tenant}-1`, `w-${tenant}`)
      expect(claimed.length).toBeGreaterThanOrEqual(2)
      expect(await storage.outbox!.purge(Date.now() - 3_600_000)).toBe(0)
      expect(await storage.outbox!.purge(Date.now() + 3_600_000)).toBeGreaterThanOrEqual(1)
      const ids = (await storage.outbox!.list({ target: 'endpoint-1' })).map((i) => i.id)
      expect(ids).toContain(`${tenant}-2`)
      expect(ids).not.toContain(`${tenant}-1`)
    },
    when,
  )

  it(
    'outbox: concurrent claims from several workers and instances never hand out an item twice',
    async ({ storage, open, tenant }) => {
      const instances = [storage, await open()]
      await storage.outbox!.enqueue(Array.from({ length: 60 }, (_, i) => item(tenant, i, null)))
      const got: string[] = []
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (;;) {
            const batch = await instances[w % 2]!.outbox!.claim(`w${w}`, 7, 60_000)
            if (batch.length === 0) return
            got.push(...batch.map((i) => i.id))
          }
        }),
      )
      const mine = got.filter((id) => id.startsWith(`${tenant}-`))
      expect(mine.length).toBe(60)
      expect(new Set(mine).size).toBe(60)
    },
    when,
  )

  it(
    'outbox: enqueue to a missing session is SESSION_NOT_FOUND and enqueues nothing of the batch',
    async ({ storage, session, tenant }) => {
      const s = await session()
      expect(await codeOf(storage.outbox!.enqueue([item(tenant, 1, s.id), item(tenant, 2, 'no-such-session')]))).toBe('SESSION_NOT_FOUND')
      expect(await storage.outbox!.list({ sessionId: s.id })).toEqual([])
    },
    when,
  )
}
