/**
 * Retry behaviour over real HTTP with fake time: attempts are real requests to a local receiver,
 * the waits between them are fake timers, so each test checks the exact schedule in milliseconds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryStorage } from '../../src/index.js'
import { webhooks, type RetryPolicy } from '../../src/plugins/webhooks/index.js'
import { managedHarness } from '../helpers/manager.js'
import { deliveryOutcomes, receivers } from './helpers/webhooks.js'
import type { Receiver } from './helpers/receiver.js'

const start = managedHarness()
const receiver = receivers()
const outcomes = deliveryOutcomes()

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/**
 * A manager whose only timers are the worker's retry wake-ups (polling is pushed out of the way),
 * and one event (`session.created`) on its way to the receiver.
 */
async function setup(r: Receiver, retry: RetryPolicy) {
  const storage = createMemoryStorage()
  const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, retry, timeoutMs: 5_000 }], pollIntervalMs: 3_600_000 })] })
  await h.manager.create({ name: 'retry' })
  return { h, storage }
}

/**
 * Runs attempts until `count` outcomes were reported, jumping fake time to each retry when it is
 * due (the connection pool has timers of its own, so "the next timer" need not be the retry).
 */
async function runAttempts(count: number): Promise<void> {
  for (let done = 1; done <= count; done++) {
    await outcomes.waitFor(done)
    if (done === count) break
    const { nextAttemptAt } = outcomes.list[done - 1]!
    expect(nextAttemptAt, `outcome ${done} schedules a retry`).toBeTypeOf('number')
    await vi.advanceTimersByTimeAsync(nextAttemptAt! - Date.now())
  }
}

const gaps = (r: Receiver) => r.requests.slice(1).map((request, i) => request.at - r.requests[i]!.at)

describe('webhooks: retry policies', () => {
  it('exponential (default) doubles from delayMs, with jitter', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5) // jitter factor exactly 1
    const r = await receiver((_, i) => ({ status: i < 4 ? 503 : 200 }))
    await setup(r, { delayMs: 1_000, attempts: 6 })
    await runAttempts(5)
    expect(gaps(r)).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(outcomes.list.map((o) => o.result)).toEqual(['retry', 'retry', 'retry', 'retry', 'delivered'])
    expect(new Set(r.requests.map((q) => q.headers['x-wafleet-delivery'])).size).toBe(1)
  })

  it('exponential jitter stays within ±20 % and is capped by maxDelayMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1) // the top of the jitter range
    const r = await receiver((_, i) => ({ status: i < 3 ? 500 : 200 }))
    await setup(r, { delayMs: 1_000, maxDelayMs: 3_000, attempts: 5 })
    await runAttempts(4)
    expect(gaps(r)).toEqual([1_200, 2_400, 3_000])
  })

  it('linear grows by delayMs per attempt', async () => {
    const r = await receiver((_, i) => ({ status: i < 3 ? 500 : 200 }))
    await setup(r, { policy: 'linear', delayMs: 1_000, attempts: 4 })
    await runAttempts(4)
    expect(gaps(r)).toEqual([1_000, 2_000, 3_000])
  })

  it('constant always waits delayMs', async () => {
    const r = await receiver((_, i) => ({ status: i < 3 ? 500 : 200 }))
    await setup(r, { policy: 'constant', delayMs: 2_000, attempts: 4 })
    await runAttempts(4)
    expect(gaps(r)).toEqual([2_000, 2_000, 2_000])
  })

  it('retries a timed-out attempt: each attempt has its own timeout', async () => {
    const r = await receiver((_, i) => (i === 0 ? { hang: true } : {}))
    const { storage } = await setup(r, { policy: 'constant', delayMs: 1_000, attempts: 3 })
    await r.waitFor(1)
    await vi.advanceTimersByTimeAsync(5_000) // the attempt timeout
    await runAttempts(2)
    expect(gaps(r)).toEqual([6_000])
    const [item] = await storage.outbox!.list({})
    expect(item).toMatchObject({ status: 'delivered', attempts: 2 })
    expect(outcomes.list[0]).toMatchObject({ result: 'retry', status: undefined })
  })
})

describe('webhooks: where a retry waits', () => {
  it('makes short retries within one claim (p-retry) and writes the count of attempts once', async () => {
    const r = await receiver((_, i) => ({ status: i < 2 ? 503 : 204 }))
    const storage = createMemoryStorage()
    const claim = vi.spyOn(storage.outbox!, 'claim')
    const fail = vi.spyOn(storage.outbox!, 'fail')
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, retry: { policy: 'constant', delayMs: 1_000, attempts: 5 }, timeoutMs: 5_000 }], pollIntervalMs: 3_600_000 })] })
    await h.manager.create({ name: 'in-claim' })
    await runAttempts(3)
    expect(outcomes.list.map((o) => [o.result, o.attempt])).toEqual([
      ['retry', 1],
      ['retry', 2],
      ['delivered', 3],
    ])
    // One claim returned the item; nothing was written back between the attempts.
    const claimedTimes = (await Promise.all(claim.mock.results.map((x) => x.value as Promise<{ id: string }[]>))).flat().length
    expect(claimedTimes).toBe(1)
    expect(fail).not.toHaveBeenCalled()
    const [item] = await storage.outbox!.list({})
    expect(item).toMatchObject({ status: 'delivered', attempts: 3 })
  })

  it('writes a long wait back to the outbox with its time, holding no claim, and claims it again when due', async () => {
    const r = await receiver((_, i) => ({ status: i === 0 ? 503 : 204 }))
    const storage = createMemoryStorage()
    const fail = vi.spyOn(storage.outbox!, 'fail')
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, retry: { policy: 'constant', delayMs: 60_000, attempts: 3 }, timeoutMs: 5_000 }], pollIntervalMs: 3_600_000 })] })
    await h.manager.create({ name: 'written-back' })
    await outcomes.waitFor(1)
    expect(fail).toHaveBeenCalledTimes(1)
    const [waiting] = await storage.outbox!.list({})
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503' })
    expect(waiting!.availableAt - Date.now()).toBeGreaterThan(55_000)
    await runAttempts(2)
    expect(gaps(r)).toEqual([60_000])
    expect((await storage.outbox!.list({}))[0]).toMatchObject({ status: 'delivered', attempts: 2 })
  })
})

describe('webhooks: a written-back retry', () => {
  it('holds no claim: once due, another worker can take it before this one wakes', async () => {
    const r = await receiver(() => ({ status: 503 }))
    const storage = createMemoryStorage()
    const h = await start({ storage, plugins: [webhooks({ endpoints: [{ url: r.url, retry: { policy: 'constant', delayMs: 60_000, attempts: 3 }, timeoutMs: 5_000 }], pollIntervalMs: 3_600_000 })] })
    await h.manager.create({ name: 'unclaimed' })
    await outcomes.waitFor(1)
    // Past its retry time but well within the first claim's visibility timeout (120 s): a claim still held would hide it.
    vi.setSystemTime(Date.now() + 61_000)
    const taken = await storage.outbox!.claim('another-worker', 10, 60_000)
    expect(taken.map((item) => [item.event, item.attempts])).toEqual([['session.created', 1]])
  })
})

describe('webhooks: status codes', () => {
  it('does not retry a 4xx: one attempt, then dead with the last error', async () => {
    const r = await receiver(() => ({ status: 400, body: 'bad payload, sorry' }))
    const { h } = await setup(r, { attempts: 5 })
    await outcomes.waitFor(1)
    await vi.advanceTimersByTimeAsync(600_000)
    expect(r.requests).toHaveLength(1)
    const dead = await h.manager.webhooks.deliveries({ status: 'dead' })
    expect(dead).toEqual([expect.objectContaining({ event: 'session.created', attempts: 1, lastError: 'HTTP 400: bad payload, sorry', scope: 'global' })])
  })

  it.each([408, 425, 429, 500, 503])('retries %i', async (status) => {
    const r = await receiver((_, i) => ({ status: i === 0 ? status : 204 }))
    await setup(r, { policy: 'constant', delayMs: 1_000, attempts: 2 })
    await runAttempts(2)
    expect(outcomes.list.map((o) => [o.result, o.status])).toEqual([
      ['retry', status],
      ['delivered', 204],
    ])
  })

  it('does not follow or retry a redirect', async () => {
    const r = await receiver(() => ({ status: 302, headers: { location: 'http://169.254.169.254/' } }))
    const { h } = await setup(r, { attempts: 3 })
    await outcomes.waitFor(1)
    expect(r.requests).toHaveLength(1)
    expect((await h.manager.webhooks.deliveries())[0]).toMatchObject({ status: 'dead', lastError: expect.stringContaining('HTTP 302') })
  })

  it('honours Retry-After on 429 (seconds), over the policy delay', async () => {
    const r = await receiver((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '7' } } : {}))
    await setup(r, { policy: 'constant', delayMs: 1_000, attempts: 3 })
    await outcomes.waitFor(1)
    await vi.advanceTimersByTimeAsync(6_999)
    await new Promise((resolve) => setImmediate(resolve))
    expect(r.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await outcomes.waitFor(2)
    expect(gaps(r)).toEqual([7_000])
  })

  it('honours Retry-After as an HTTP date', async () => {
    const r = await receiver((_, i) => (i === 0 ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } } : {}))
    await setup(r, { policy: 'constant', delayMs: 1_000, attempts: 3 })
    await runAttempts(2)
    // HTTP dates have whole seconds.
    expect(gaps(r)[0]).toBeGreaterThan(29_000)
    expect(gaps(r)[0]).toBeLessThanOrEqual(30_000)
  })
})

describe('webhooks: dead letters', () => {
  it('dead-letters after the last attempt and redrives with the same id', async () => {
    let healthy = false
    const r = await receiver(() => ({ status: healthy ? 200 : 500, body: 'down' }))
    const { h } = await setup(r, { policy: 'constant', delayMs: 1_000, attempts: 3 })
    await runAttempts(3)
    expect(outcomes.list.map((o) => o.result)).toEqual(['retry', 'retry', 'dead'])
    const [dead] = await h.manager.webhooks.deliveries({ status: 'dead', includeBody: true })
    expect(dead).toMatchObject({ attempts: 3, lastError: 'HTTP 500: down', nextAttemptAt: null })
    expect(JSON.parse(dead!.body!).id).toBe(dead!.id)
    // Nothing more happens on its own.
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(r.requests).toHaveLength(3)

    healthy = true
    expect(await h.manager.webhooks.redrive([dead!.id, 'unknown-id'])).toBe(1)
    await outcomes.waitFor(4)
    expect(r.requests).toHaveLength(4)
    expect(r.requests[3]!.headers['x-wafleet-delivery']).toBe(dead!.id)
    expect(await h.manager.webhooks.deliveries({ status: 'dead' })).toEqual([])
    expect((await h.manager.webhooks.deliveries({ status: 'delivered' }))[0]).toMatchObject({ id: dead!.id, attempts: 1 })
    await expect(h.manager.webhooks.redrive('x' as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
  })
})
