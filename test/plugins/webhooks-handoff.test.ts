/**
 * Fresh events handed to the worker in the insert that stores them (`outbox.enqueueClaimed`), and
 * the rule that keeps them from overtaking rows already waiting in the outbox.
 */
import { describe, expect, it, vi } from 'vitest'
import { createMemoryStorage, createSilentLogger } from '../../src/index.js'
import { webhooks } from '../../src/plugins/webhooks/index.js'
import type { ResolvedEndpoint } from '../../src/plugins/webhooks/endpoint.js'
import type { AttemptResult } from '../../src/plugins/webhooks/http.js'
import { DeliveryWorker } from '../../src/plugins/webhooks/worker.js'
import type { NewOutboxItem, OutboxItem } from '../../src/storage/types.js'
import { managedHarness } from '../helpers/manager.js'
import { until } from './helpers/until.js'
import { receivers } from './helpers/webhooks.js'

const start = managedHarness()
const receiver = receivers()

describe('webhooks: hand-off at enqueue', () => {
  it('an idle worker gets fresh events from the insert that stores them: no claim carries them', async () => {
    const r = await receiver()
    const storage = createMemoryStorage()
    const claim = vi.spyOn(storage.outbox!, 'claim')
    const handed = vi.spyOn(storage.outbox!, 'enqueueClaimed')
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, events: ['session.created'] }], pollIntervalMs: 3_600_000 })] })
    await until(() => claim.mock.calls.length > 0, "the worker's first look at the outbox")
    for (const name of ['a', 'b', 'c']) await h.manager.create({ name })
    await r.waitFor(3)
    const claimedIds = (await Promise.all(claim.mock.results.map((result) => result.value as Promise<OutboxItem[]>))).flat().map((item) => item.id)
    const delivered = r.requests.map((request) => request.headers['x-wafleet-delivery'])
    expect(handed).toHaveBeenCalledTimes(3)
    expect(claimedIds.filter((id) => delivered.includes(id))).toEqual([])
    await until(async () => (await storage.outbox!.list({ status: 'delivered' })).length === 3, 'three acks')
  })

  it('an outbox without enqueueClaimed is enqueued and claimed as before', async () => {
    const r = await receiver()
    const storage = createMemoryStorage()
    delete (storage.outbox as { enqueueClaimed?: unknown }).enqueueClaimed
    const claim = vi.spyOn(storage.outbox!, 'claim')
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, events: ['session.created'] }] })] })
    await h.manager.create({ name: 'plain' })
    await r.waitFor(1)
    const claimedIds = (await Promise.all(claim.mock.results.map((result) => result.value as Promise<OutboxItem[]>))).flat().map((item) => item.id)
    expect(claimedIds).toContain(r.requests[0]!.headers['x-wafleet-delivery'])
  })
})

describe('webhooks worker: reserve', () => {
  const endpoint = { id: 'e', concurrency: 8, timeoutMs: 1_000, retry: { policy: 'constant', attempts: 1, delayMs: 1_000, maxDelayMs: 1_000 } } as ResolvedEndpoint
  const newItem = (i: number): NewOutboxItem => ({ id: `item-${i}`, sessionId: null, target: 't', event: 'e', payload: new Uint8Array([i]) })

  /** A worker (room for 8) whose attempts wait until `answer()` is called. */
  function worker() {
    const storage = createMemoryStorage()
    const pending: ((result: AttemptResult) => void)[] = []
    const sent: string[] = []
    const w = new DeliveryWorker({
      outbox: storage.outbox!,
      logger: createSilentLogger(),
      options: { batchSize: 8, visibilityMs: 60_000, pollIntervalMs: 3_600_000, maxBuffered: 8 },
      route: () => ({ endpoint, lane: 'e' }),
      send: (item) => {
        sent.push(item.id)
        return new Promise((resolve) => pending.push(resolve))
      },
      observe: () => undefined,
    })
    return { w, outbox: storage.outbox!, sent, answer: () => pending.shift()!({ ok: true, status: 204 }) }
  }

  it('gives room to fresh items only while nothing waits in the outbox, and never beyond maxBuffered', async () => {
    const { w, outbox, sent, answer } = worker()
    w.start()
    await until(() => w.reserve(0) !== null, 'the first claim to come back empty')
    expect(w.reserve(9)).toBeNull()
    const claimedAt = w.reserve(2)!
    const stored = await outbox.enqueueClaimed!([newItem(0), newItem(1)], w.workerId, 60_000)
    w.adopt((await outbox.list({})).filter((item) => stored.includes(item.id)), 2, claimedAt)
    expect(sent).toEqual(['item-0', 'item-1'])

    // A backlog: 20 rows enqueued; the worker claims what fits (6) and the rest waits.
    await outbox.enqueue(Array.from({ length: 20 }, (_, i) => newItem(10 + i)))
    w.kick()
    await until(() => sent.length === 8, 'a full worker')
    // One slot frees up: too little for a claim of its own (half the buffer), but rows wait,
    // so a fresh item must not take it ahead of them.
    answer()
    await until(async () => (await outbox.list({ status: 'delivered' })).length === 1, 'the first ack')
    expect(w.reserve(1)).toBeNull()
    // Once the backlog is gone (every row answered and the last claim came back short), room is given again.
    for (let answered = 1; answered < 22; answered++) {
      await until(() => sent.length > answered, 'the next attempt')
      answer()
    }
    await until(async () => (await outbox.list({ status: 'delivered' })).length === 22, 'every ack')
    await until(() => w.reserve(1) !== null, 'room for a fresh item')
    w.unreserve(1)
    await w.stop()
  })

  it('claims a backlog in full batches, not a few rows each time some slots free up', async () => {
    const { w, outbox, sent, answer } = worker()
    const claim = vi.spyOn(outbox, 'claim')
    await outbox.enqueue(Array.from({ length: 40 }, (_, i) => newItem(i)))
    w.start()
    // One answer at a time, each acked before the next: every freed slot gives the worker a chance to claim.
    for (let answered = 0; answered < 40; answered++) {
      await until(() => sent.length > answered, 'the next attempt')
      answer()
      await until(async () => (await outbox.list({ status: 'delivered' })).length === answered + 1, 'its ack')
    }
    // Room for 8, so a claim waits until 4 slots are free: 8 first, then batches of 4 (and the last, empty one).
    const limits = claim.mock.calls.map(([, limit]) => limit)
    expect(limits[0]).toBe(8)
    expect(limits.slice(1).every((limit) => limit === 4)).toBe(true)
    expect(claim.mock.calls.length).toBeLessThanOrEqual(1 + 32 / 4 + 1)
    await w.stop()
  })
})
