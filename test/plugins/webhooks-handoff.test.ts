/**
 * Fresh events handed to the worker in the insert that stores them (`outbox.enqueueClaimed`), and
 * the rule that keeps them from overtaking rows already waiting in the outbox.
 */
import { describe, expect, it, vi } from 'vitest'
import { createMemoryStorage, createSilentLogger } from '../../src/index.js'
import { webhooks } from '../../src/plugins/webhooks/index.js'
import type { ResolvedEndpoint } from '../../src/plugins/webhooks/endpoint.js'
import type { AttemptResult } from '../../src/plugins/webhooks/http.js'
import { DeliveryWorker, type DeliveryOutcome } from '../../src/plugins/webhooks/worker.js'
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

  it('delivers a fresh event while its row is being written; the emitting call returns, and the row is acked, after the write', async () => {
    const r = await receiver()
    const storage = createMemoryStorage()
    const claim = vi.spyOn(storage.outbox!, 'claim')
    const enqueueClaimed = storage.outbox!.enqueueClaimed!.bind(storage.outbox)
    let write!: () => void
    const slowDisk = new Promise<void>((resolve) => (write = resolve))
    storage.outbox!.enqueueClaimed = async (...args) => {
      await slowDisk
      return enqueueClaimed(...args)
    }
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, events: ['session.created'] }], pollIntervalMs: 3_600_000 })] })
    await until(() => claim.mock.calls.length > 0, "the worker's first look at the outbox")
    let returned = false
    const created = h.manager.create({ name: 'a' }).then(() => (returned = true))
    await r.waitFor(1)
    expect(returned).toBe(false)
    expect(await storage.outbox!.list({})).toEqual([])
    write()
    await created
    await until(async () => (await storage.outbox!.list({ status: 'delivered' })).length === 1, 'the ack')
    expect((await storage.outbox!.list({}))[0]!.id).toBe(r.requests[0]!.headers['x-wafleet-delivery'])
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

describe('webhooks worker: hand-off', () => {
  const endpoint = { id: 'e', concurrency: 8, timeoutMs: 1_000, retry: { policy: 'constant', attempts: 1, delayMs: 1_000, maxDelayMs: 1_000 } } as ResolvedEndpoint
  const newItem = (i: number): NewOutboxItem => ({ id: `item-${i}`, sessionId: null, target: 't', event: 'e', payload: new Uint8Array([i]) })
  const fresh = (item: NewOutboxItem): OutboxItem => ({ ...item, status: 'pending', attempts: 0, lastError: null, availableAt: 0, createdAt: 0, updatedAt: 0 })

  /** A worker (room for 8) whose attempts wait until `answer()` is called. */
  function worker(pollIntervalMs = 3_600_000) {
    const storage = createMemoryStorage()
    const pending: ((result: AttemptResult) => void)[] = []
    const sent: string[] = []
    const outcomes: DeliveryOutcome[] = []
    const warnings: string[] = []
    const logger = { ...createSilentLogger(), warn: (...args: unknown[]) => void warnings.push(String(args[1])) }
    const w = new DeliveryWorker({
      outbox: storage.outbox!,
      logger,
      options: { batchSize: 8, visibilityMs: 60_000, pollIntervalMs, maxBuffered: 8 },
      route: () => ({ endpoint, lane: 'e' }),
      send: (item) => {
        sent.push(item.id)
        return new Promise((resolve) => pending.push(resolve))
      },
      observe: (outcome) => void outcomes.push(outcome),
    })
    const answer = (result: AttemptResult = { ok: true, status: 204 }) => pending.shift()!(result)
    /** Stores items claimed by the worker, as the plugin does, resolving with the ids inserted. */
    const store = async (items: NewOutboxItem[]) => new Set(await storage.outbox!.enqueueClaimed!(items, w.workerId, 60_000))
    return { w, outbox: storage.outbox!, sent, outcomes, warnings, answer, store }
  }

  it('takes fresh items only while nothing waits in the outbox, and never beyond maxBuffered', async () => {
    const { w, outbox, sent, answer, store } = worker()
    w.start()
    await until(() => w.canTake(0), 'the first claim to come back empty')
    expect(w.canTake(9)).toBe(false)
    expect(w.canTake(2)).toBe(true)
    w.handOff([newItem(0), newItem(1)].map(fresh), store([newItem(0), newItem(1)]))
    expect(sent).toEqual(['item-0', 'item-1'])

    // A backlog: 20 rows enqueued; the worker claims what fits (6) and the rest waits.
    await outbox.enqueue(Array.from({ length: 20 }, (_, i) => newItem(10 + i)))
    w.kick()
    await until(() => sent.length === 8, 'a full worker')
    // One slot frees up: too little for a claim of its own (half the buffer), but rows wait,
    // so a fresh item must not take it ahead of them.
    answer()
    await until(async () => (await outbox.list({ status: 'delivered' })).length === 1, 'the first ack')
    expect(w.canTake(1)).toBe(false)
    // Once the backlog is gone (every row answered and the last claim came back short), room is given again.
    for (let answered = 1; answered < 22; answered++) {
      await until(() => sent.length > answered, 'the next attempt')
      answer()
    }
    await until(async () => (await outbox.list({ status: 'delivered' })).length === 22, 'every ack')
    await until(() => w.canTake(1), 'room for a fresh item')
    await w.stop()
  })

  it('a poll does not hold fresh items back, even while its claim is under way', async () => {
    const { w, outbox } = worker(20)
    w.start()
    await until(() => w.canTake(1), 'the first claim to come back empty')
    const claim = outbox.claim.bind(outbox)
    let polled = false
    let answer!: () => void
    const slowClaim = new Promise<void>((resolve) => (answer = resolve))
    outbox.claim = async (...args) => {
      polled = true
      await slowClaim
      return claim(...args)
    }
    await until(() => polled, 'a poll')
    expect(w.canTake(1)).toBe(true)
    answer()
    await w.stop()
  })

  it('attempts a handed-over item before its write ends, and acks it only once the write inserted it', async () => {
    const { w, outbox, sent, outcomes, answer, store } = worker()
    w.start()
    await until(() => w.canTake(1), 'the first claim to come back empty')
    let write!: () => void
    const gate = new Promise<void>((resolve) => (write = resolve))
    w.handOff([fresh(newItem(0))], gate.then(() => store([newItem(0)])))
    expect(sent).toEqual(['item-0'])
    answer()
    // Answered while its row is not written: the answer frees its room, and the outcome waits.
    await until(() => w.canTake(8), 'the room of an answered delivery')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(outcomes).toEqual([])
    write()
    await until(async () => (await outbox.list({ status: 'delivered' })).length === 1, 'the ack')
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['delivered'])
    await w.stop()
  })

  it('writes nothing for a handed-over item whose write inserted nothing, and says when such a delivery failed', async () => {
    const { w, outbox, outcomes, warnings, answer } = worker()
    const ack = vi.spyOn(outbox, 'ack')
    const ackMany = vi.spyOn(outbox, 'ackMany')
    const fail = vi.spyOn(outbox, 'fail')
    w.start()
    await until(() => w.canTake(2), 'the first claim to come back empty')
    w.handOff([newItem(0), newItem(1)].map(fresh), Promise.resolve(new Set<string>()))
    answer()
    answer({ ok: false, retryable: true, error: 'HTTP 503', status: 503 })
    await until(() => outcomes.length === 2, 'both outcomes')
    expect(outcomes.map((outcome) => [outcome.item.id, outcome.result])).toEqual([
      ['item-0', 'delivered'],
      ['item-1', 'dead'],
    ])
    expect(warnings).toEqual(['webhook delivery failed and its event was not stored: not retried'])
    expect([ack, ackMany, fail].map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0])
    expect(await outbox.list({})).toEqual([])
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
