import { randomUUID } from 'node:crypto'
import type { Logger } from '../../logger.js'
import type { OutboxItem, OutboxRepository } from '../../storage/types.js'
import { BatchWriter } from './batch.js'
import type { AttemptResult } from './http.js'
import { retryDelayMs } from './retry.js'
import type { ResolvedEndpoint } from './endpoint.js'

/** Where a claimed item goes, or why it cannot go anywhere. */
export type Route = { endpoint: ResolvedEndpoint; lane: string } | { error: string }

export type DeliveryResult = 'delivered' | 'retry' | 'dead'

export interface DeliveryOutcome {
  item: OutboxItem
  endpoint: ResolvedEndpoint | null
  result: DeliveryResult
  /** 1-based number of the attempt that just ended. */
  attempt: number
  status: number | undefined
  error: string | undefined
  durationMs: number
}

export interface WorkerOptions {
  batchSize: number
  visibilityMs: number
  pollIntervalMs: number
  /** Items claimed and not finished (waiting in lanes or in flight), across endpoints. */
  maxBuffered: number
}

/**
 * When the worker is full, items that have waited longer than this (or than their endpoint's
 * attempt timeout, when longer) are given up: left claimed, they come back after the visibility
 * timeout, and the room goes to other endpoints. A receiver that keeps up drains a full buffer
 * well within that; one that does not is slow, and only its own deliveries wait.
 */
const STALE_WAIT_MS = 1_000

export interface WorkerDeps {
  outbox: OutboxRepository
  logger: Logger
  options: WorkerOptions
  /** null: not a webhook delivery (another consumer of the outbox); left alone. */
  route(item: OutboxItem): Route | null
  send(item: OutboxItem, endpoint: ResolvedEndpoint, lane: string): Promise<AttemptResult>
  observe(outcome: DeliveryOutcome): void
}

interface Claimed {
  item: OutboxItem
  endpoint: ResolvedEndpoint
  lane: string
  claimedAt: number
}

interface Lane {
  active: number
  waiting: Claimed[]
}

/**
 * Moves deliveries from the outbox to receivers. One attempt per claim: a failure is written back
 * with the time of the next attempt (`outbox.fail(retryAt)`), so the retry schedule survives a
 * crash and a waiting retry holds no memory and no claim. Each endpoint has its own lane with its
 * own concurrency, so a slow receiver only ever slows itself.
 */
export class DeliveryWorker {
  readonly workerId = `wafleet-webhooks-${randomUUID()}`
  private readonly lanes = new Map<string, Lane>()
  /** Ids claimed by this worker and not finished: a re-claim of one (its claim refreshed) is not a second delivery. */
  private readonly held = new Set<string>()
  private pumping = false
  private again = false
  /** The last claim filled its request: more items are probably due. */
  private more = true
  private stopped = true
  private poll: NodeJS.Timeout | null = null
  private wake: { at: number; timer: NodeJS.Timeout } | null = null
  private readonly inFlight = new Set<Promise<void>>()
  /** Acks of many deliveries go in one round trip when the outbox offers `ackMany`. */
  private readonly acks: BatchWriter<string>

  constructor(private readonly deps: WorkerDeps) {
    const { outbox } = deps
    const ackOne = (id: string) => outbox.ack(id, this.workerId)
    this.acks = new BatchWriter<string>({
      writeMany: (ids) => (outbox.ackMany ? outbox.ackMany(ids, this.workerId) : Promise.all(ids.map(ackOne)).then(() => undefined)),
      writeOne: ackOne,
      maxBatch: 500,
    })
  }

  start(): void {
    this.stopped = false
    this.poll = setInterval(() => this.kick(), this.deps.options.pollIntervalMs)
    this.poll.unref()
    this.kick()
  }

  /** Stops claiming and waits for attempts in flight; items still waiting in lanes come back after the visibility timeout. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.poll) clearInterval(this.poll)
    if (this.wake) clearTimeout(this.wake.timer)
    this.poll = null
    this.wake = null
    for (const lane of this.lanes.values()) lane.waiting.length = 0
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight])
  }

  /** Something may be due (an enqueue, a retry, a poll): claim now (coalesced with a claim in progress). */
  kick(): void {
    if (this.stopped) return
    this.more = true
    this.pumpSoon()
  }

  private pumpSoon(): void {
    if (this.pumping) {
      this.again = true
      return
    }
    // Claim on the next turn of the event loop, so the kicks of one turn (a burst of events, a
    // batch of finished attempts) share one claim instead of one round trip each.
    this.pumping = true
    setImmediate(() => void this.pump())
  }

  private get buffered(): number {
    return this.held.size
  }

  private async pump(): Promise<void> {
    const { outbox, options } = this.deps
    try {
      do {
        this.again = false
        if (this.buffered >= options.maxBuffered) this.evictStale()
        while (!this.stopped) {
          const room = Math.min(options.batchSize, options.maxBuffered - this.buffered)
          if (room <= 0) break
          const items = await outbox.claim(this.workerId, room, options.visibilityMs)
          const claimedAt = Date.now()
          for (const item of items) this.dispatch(item, claimedAt)
          this.more = items.length === room
          if (!this.more) break
        }
      } while (this.again && !this.stopped)
    } catch (error) {
      this.deps.logger.error({ err: error }, 'webhook outbox claim failed; retrying at the next poll')
    } finally {
      this.pumping = false
    }
  }

  private dispatch(item: OutboxItem, claimedAt: number): void {
    if (this.held.has(item.id)) return
    const route = this.deps.route(item)
    if (!route) return
    if ('error' in route) {
      this.held.add(item.id)
      this.track(this.finish(item, null, { ok: false, retryable: false, error: route.error }, 0))
      return
    }
    let lane = this.lanes.get(route.lane)
    if (!lane) this.lanes.set(route.lane, (lane = { active: 0, waiting: [] }))
    this.held.add(item.id)
    lane.waiting.push({ item, endpoint: route.endpoint, lane: route.lane, claimedAt })
    this.drain(lane)
  }

  /**
   * The worker is full. Endpoints that keep up drain their waiting items quickly; one whose items
   * have waited longer than an attempt may take is slow, and holding them would starve the other
   * endpoints (their deliveries sit behind these in the outbox). Its waiting items beyond one round of its
   * concurrency are given up: they stay claimed, unharmed (no attempt counted), and come back
   * after the visibility timeout, while the room goes to claiming further.
   */
  private evictStale(): void {
    const now = Date.now()
    for (const [key, lane] of this.lanes) {
      const head = lane.waiting[0]
      if (head && now - head.claimedAt > Math.max(STALE_WAIT_MS, head.endpoint.timeoutMs)) {
        for (const given of lane.waiting.splice(head.endpoint.concurrency)) this.held.delete(given.item.id)
      }
      if (!lane.active && !lane.waiting.length) this.lanes.delete(key)
    }
  }

  private drain(lane: Lane): void {
    while (!this.stopped && lane.waiting.length && lane.active < lane.waiting[0]!.endpoint.concurrency) {
      const next = lane.waiting.shift()!
      // Never start an attempt that could outlive the claim: another worker may own it by then.
      if (Date.now() + next.endpoint.timeoutMs >= next.claimedAt + this.deps.options.visibilityMs) {
        this.held.delete(next.item.id)
        continue
      }
      lane.active++
      let released = false
      // The slot is the receiver's: it is freed as soon as the receiver answered, while the
      // outcome is still being written (acks are batched, and waiting for them would cap
      // throughput at concurrency / commit latency).
      const release = () => {
        if (released) return
        released = true
        lane.active--
        this.drain(lane)
      }
      this.track(this.run(next, release).finally(release))
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work)
    void work.finally(() => {
      this.inFlight.delete(work)
      // A freed slot is worth a claim only if items are waiting in the outbox, and once enough
      // slots are free to claim a useful batch (a claim per finished attempt costs more than it moves).
      const { batchSize, maxBuffered } = this.deps.options
      const room = maxBuffered - this.buffered
      if (this.more && (room >= Math.max(1, Math.floor(Math.min(batchSize, maxBuffered) / 4)) || this.buffered === 0)) this.pumpSoon()
    })
  }

  private async run({ item, endpoint, lane }: Claimed, release: () => void): Promise<void> {
    const started = performance.now()
    let result: AttemptResult
    try {
      result = await this.deps.send(item, endpoint, lane)
    } catch (error) {
      result = { ok: false, retryable: true, error: error instanceof Error ? error.message : String(error) }
    }
    release()
    await this.finish(item, endpoint, result, performance.now() - started)
  }

  private async finish(item: OutboxItem, endpoint: ResolvedEndpoint | null, result: AttemptResult, durationMs: number): Promise<void> {
    const { outbox, logger } = this.deps
    const attempt = item.attempts + 1
    let outcome: DeliveryResult = 'delivered'
    try {
      if (result.ok) {
        await this.acks.write(item.id)
      } else if (endpoint && result.retryable && attempt < endpoint.retry.attempts) {
        outcome = 'retry'
        const retryAt = Date.now() + retryDelayMs(endpoint.retry, attempt, result.retryAfterMs)
        await outbox.fail(item.id, this.workerId, result.error, retryAt)
        this.wakeAt(retryAt)
      } else {
        outcome = 'dead'
        await outbox.fail(item.id, this.workerId, result.error, null)
        logger.warn({ deliveryId: item.id, event: item.event, attempts: attempt, error: result.error }, 'webhook delivery dead-lettered')
      }
    } catch (error) {
      // The item stays claimed and comes back after the visibility timeout: delivered again at worst.
      logger.error({ err: error, deliveryId: item.id }, 'webhook outbox update failed')
    } finally {
      this.held.delete(item.id)
    }
    this.deps.observe({
      item,
      endpoint,
      result: outcome,
      attempt,
      status: 'status' in result ? result.status : undefined,
      error: result.ok ? undefined : result.error,
      durationMs,
    })
  }

  /** Claims again when the earliest known retry is due (the poll catches the rest). */
  private wakeAt(at: number): void {
    if (this.stopped || (this.wake && this.wake.at <= at)) return
    if (this.wake) clearTimeout(this.wake.timer)
    const timer = setTimeout(() => {
      this.wake = null
      this.kick()
    }, Math.max(0, at - Date.now()))
    timer.unref()
    this.wake = { at, timer }
  }
}
