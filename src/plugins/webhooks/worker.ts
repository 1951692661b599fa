import { randomUUID } from 'node:crypto'
import pRetry, { AbortError } from 'p-retry'
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
  /** When the attempt ended (ms since the epoch): the receiver's answer, or the failure. */
  endedAt: number
  /** With `retry`: when the next attempt is due. */
  nextAttemptAt?: number
}

export interface WorkerOptions {
  batchSize: number
  visibilityMs: number
  pollIntervalMs: number
  /** Items claimed and not finished (waiting in lanes or in flight), across endpoints. */
  maxBuffered: number
}

/**
 * When the worker has no room for a claim, items that have waited longer than this (or than their endpoint's
 * attempt timeout, when longer) are given up: left claimed, they come back after the visibility
 * timeout, and the room goes to other endpoints. A receiver that keeps up drains a full buffer
 * well within that; one that does not is slow, and only its own deliveries wait.
 */
const STALE_WAIT_MS = 1_000

/**
 * Retries whose wait is at most this are made within the claim (p-retry, in memory); longer ones,
 * and any that the claim would not outlast, are written back to the outbox with their time.
 */
const IN_CLAIM_RETRY_MAX_MS = 5_000

/** Acks per statement at most, and how long an ack waits for others while requests are in flight. */
const ACK_BATCH = 200
const ACK_LINGER_MS = 5

type Failure = Extract<AttemptResult, { ok: false }>

/** What p-retry sees of a failed attempt; the worker keeps the result itself. */
class AttemptFailed extends Error {
  constructor(readonly result: Failure) {
    super(result.error)
  }
}

/** The next attempt does not happen in this claim: it is due at `retryAt` (written to the outbox), or never (null). */
class LeaveClaim extends Error {
  constructor(readonly retryAt: number | null) {
    super('the delivery leaves its claim')
  }
}

/** When the attempt after `attempt` (1-based, failed) is due under the endpoint's policy; null: none is. */
function nextAttemptAt(endpoint: ResolvedEndpoint, attempt: number, failure: Failure): number | null {
  if (!failure.retryable || attempt >= endpoint.retry.attempts) return null
  return Date.now() + retryDelayMs(endpoint.retry, attempt, failure.retryAfterMs)
}

/** Waits `ms`; an abort (the worker stopping) ends the wait early with the planned time kept. */
function wait(ms: number, signal: AbortSignal, retryAt: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new LeaveClaim(retryAt))
    const onAbort = () => {
      clearTimeout(timer)
      reject(new LeaveClaim(retryAt))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export interface WorkerDeps {
  outbox: OutboxRepository
  logger: Logger
  options: WorkerOptions
  /** null: not a webhook delivery (another consumer of the outbox); left alone. */
  route(item: OutboxItem): Route | null
  send(item: OutboxItem, endpoint: ResolvedEndpoint, lane: string): Promise<AttemptResult>
  observe(outcome: DeliveryOutcome): void
}

/** A fresh item's write (see `handOff`): resolves with the ids it inserted, none when it failed. */
type Stored = Promise<ReadonlySet<string>>

interface Claimed {
  item: OutboxItem
  endpoint: ResolvedEndpoint
  lane: string
  claimedAt: number
  stored: Stored | undefined
}

/** How the attempts of a claim ended. */
interface Ended {
  result: AttemptResult
  durationMs: number
  endedAt: number
  /** Attempts made in the claim. */
  made: number
  /** What the policy decided after the last failure, when it decided anything. */
  leave?: LeaveClaim
}

interface Lane {
  active: number
  waiting: Claimed[]
}

/**
 * Moves deliveries from the outbox to receivers. The attempts of one claim run through p-retry:
 * a retry whose wait is short and ends well within the claim is made in place; a longer wait is
 * written back with the time of the next attempt (`outbox.fail(retryAt)`), so a long schedule
 * survives a crash and holds no memory and no claim. A crash during a short wait loses nothing
 * either: the row is still claimed, and comes back after the visibility timeout. Each endpoint has
 * its own lane with its own concurrency, so a slow receiver only ever slows itself.
 */
export class DeliveryWorker {
  readonly workerId = `wafleet-webhooks-${randomUUID()}`
  private readonly lanes = new Map<string, Lane>()
  /** Ids claimed by this worker and not finished: a re-claim of one (its claim refreshed) is not a second delivery. */
  private readonly held = new Set<string>()
  /** HTTP requests in flight (not counting in-claim waits between attempts). */
  private requesting = 0
  private pumping = false
  private again = false
  /** The last claim filled its request: more items are probably due. */
  private more = true
  private stopped = true
  private poll: NodeJS.Timeout | null = null
  private wake: { at: number; timer: NodeJS.Timeout } | null = null
  private readonly inFlight = new Set<Promise<void>>()
  /** Ends the waits of in-claim retries when the worker stops (they are written back with their time). */
  private aborter = new AbortController()
  /** Acks of many deliveries go in one round trip when the outbox offers `ackMany`. */
  private readonly acks: BatchWriter<string>

  constructor(private readonly deps: WorkerDeps) {
    const { outbox } = deps
    const ackOne = (id: string) => outbox.ack(id, this.workerId)
    this.acks = new BatchWriter<string>({
      writeMany: (ids) => (outbox.ackMany ? outbox.ackMany(ids, this.workerId) : Promise.all(ids.map(ackOne)).then(() => undefined)),
      writeOne: ackOne,
      maxBatch: ACK_BATCH,
      // Acks timed by the previous ack's round trip shrink as the database gets faster, and every
      // statement costs it as much as dozens of rows: while requests are in flight, more acks are
      // coming, so wait a little for them. The last delivery of a burst is acked at once.
      linger: { ms: ACK_LINGER_MS, while: () => this.requesting > 0 },
    })
  }

  start(): void {
    this.stopped = false
    this.aborter = new AbortController()
    // A poll looks for rows that became due elsewhere (another process, an expired claim) without
    // holding fresh events back: until a claim comes back full, nothing is known to be due.
    this.poll = setInterval(() => this.pumpSoon(), this.deps.options.pollIntervalMs)
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
    this.aborter.abort()
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight])
  }

  /** Something is due (an enqueue, a retry, a redrive): claim now (coalesced with a claim in progress), and hand fresh items no room until a claim comes back short. */
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

  /**
   * Whether a claim is worth its round trip: the buffer is empty, or has room for a full batch
   * while at most half of it is taken, which keeps the lanes busy meanwhile. A statement costs the
   * database as much as dozens of rows (npm run bench:outbox, BATCH), and claims made as soon as a
   * few slots are free shrink as the database gets faster.
   */
  private hasRoom(): boolean {
    const { batchSize, maxBuffered } = this.deps.options
    return this.buffered === 0 || maxBuffered - this.buffered >= Math.max(1, Math.min(batchSize, Math.floor(maxBuffered / 2)))
  }

  /**
   * Whether `count` fresh items may be handed over (`handOff`) rather than enqueued: the worker has
   * room for them, and nothing else is known to be due (no kick since the last claim came back
   * short), so fresh items do not overtake rows waiting in the outbox. False: enqueue, then kick.
   */
  canTake(count: number): boolean {
    return !this.stopped && !this.more && this.buffered + count <= this.deps.options.maxBuffered
  }

  /**
   * Delivers fresh items while `stored` writes them to the outbox already claimed by this worker
   * (`outbox.enqueueClaimed`), which saves their claim. Their attempts start at once: a commit
   * waits for the disk to flush, which on a busy or virtual disk now and then takes hundreds of ms,
   * and a delivery that waited for it would be that late. Their outcomes (ack, retry, dead letter)
   * wait for the write, and are written only for the rows it inserted.
   */
  handOff(items: OutboxItem[], stored: Stored): void {
    const claimedAt = Date.now()
    for (const item of items) this.dispatch(item, claimedAt, stored)
  }

  private async pump(): Promise<void> {
    const { outbox, options } = this.deps
    try {
      do {
        this.again = false
        if (!this.hasRoom()) this.evictStale()
        while (!this.stopped && this.hasRoom()) {
          const room = Math.min(options.batchSize, options.maxBuffered - this.buffered)
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

  private dispatch(item: OutboxItem, claimedAt: number, stored?: Stored): void {
    if (this.held.has(item.id)) return
    const route = this.deps.route(item)
    if (!route) return
    if ('error' in route) {
      this.held.add(item.id)
      this.track(this.finish(item, null, { result: { ok: false, retryable: false, error: route.error }, durationMs: 0, endedAt: Date.now(), made: 1 }, stored))
      return
    }
    let lane = this.lanes.get(route.lane)
    if (!lane) this.lanes.set(route.lane, (lane = { active: 0, waiting: [] }))
    this.held.add(item.id)
    lane.waiting.push({ item, endpoint: route.endpoint, lane: route.lane, claimedAt, stored })
    this.drain(lane)
  }

  /**
   * The worker has no room for a claim. Endpoints that keep up drain their waiting items quickly; one whose items
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
      // A freed slot is worth a claim only if items are waiting in the outbox, and room for one.
      if (this.more && this.hasRoom()) this.pumpSoon()
    })
  }

  /**
   * Attempts a claimed delivery until it is delivered, dead, or due again later than this claim
   * can wait. The lane's slot is held across in-claim waits (only this endpoint's own deliveries wait
   * for it) and freed at the last answer, before the outcome is written.
   */
  private async run(claimed: Claimed, release: () => void): Promise<void> {
    const { item } = claimed
    let { endpoint, lane } = claimed
    let started = performance.now()
    let last = await this.attempt(item, endpoint, lane)
    let made = 1
    let leave: LeaveClaim | undefined
    // Nearly every delivery ends here; p-retry takes over from the first failure.
    if (!last.ok) {
      try {
        await pRetry(
          async (attemptNumber) => {
            // Its first call hands it the failure of the attempt already made.
            if (attemptNumber > 1) {
              // Each attempt looks its endpoint up, as a claim does: a changed secret or policy applies, a removed endpoint ends it.
              const route = this.deps.route(item)
              if (route && 'error' in route) {
                last = { ok: false, retryable: false, error: route.error }
                throw new AbortError(new LeaveClaim(null))
              }
              if (route) ({ endpoint, lane } = route)
              made++
              started = performance.now()
              last = await this.attempt(item, endpoint, lane)
            }
            if (!last.ok) throw new AttemptFailed(last)
          },
          {
            retries: Math.max(0, endpoint.retry.attempts - item.attempts - 1),
            // The waits are the endpoint's policy (retryDelayMs), taken in onFailedAttempt.
            minTimeout: 0,
            onFailedAttempt: async ({ error }) => {
              const failure = (error as AttemptFailed).result
              const attempt = item.attempts + made
              const retryAt = nextAttemptAt(endpoint, attempt, failure)
              if (retryAt === null || !this.fitsClaim(claimed, retryAt)) throw new LeaveClaim(retryAt)
              this.report(item, endpoint, 'retry', attempt, { result: failure, durationMs: performance.now() - started, endedAt: Date.now() }, retryAt)
              await wait(retryAt - Date.now(), this.aborter.signal, retryAt)
            },
          },
        )
      } catch (error) {
        if (error instanceof LeaveClaim) leave = error
        else if (!(error instanceof AttemptFailed)) last = { ok: false, retryable: true, error: error instanceof Error ? error.message : String(error) }
      }
    }
    release()
    await this.finish(item, endpoint, { result: last, durationMs: performance.now() - started, endedAt: Date.now(), made, leave }, claimed.stored)
  }

  /** One POST; a thrown error (there should be none) counts as a retryable failure. */
  private async attempt(item: OutboxItem, endpoint: ResolvedEndpoint, lane: string): Promise<AttemptResult> {
    this.requesting++
    try {
      return await this.deps.send(item, endpoint, lane)
    } catch (error) {
      return { ok: false, retryable: true, error: error instanceof Error ? error.message : String(error) }
    } finally {
      this.requesting--
    }
  }

  /** Whether an attempt at `at` would still end within the claim, after a short enough wait. */
  private fitsClaim({ endpoint, claimedAt }: Claimed, at: number): boolean {
    if (this.stopped || at - Date.now() > IN_CLAIM_RETRY_MAX_MS) return false
    return at + endpoint.timeoutMs < claimedAt + this.deps.options.visibilityMs
  }

  /**
   * Writes the end of a claim: delivered, due again at `leave.retryAt`, or dead. The count of
   * attempts made in the claim goes to the row. A handed-over item's outcome waits for `stored`.
   */
  private async finish(item: OutboxItem, endpoint: ResolvedEndpoint | null, ended: Ended, stored?: Stored): Promise<void> {
    const { outbox, logger } = this.deps
    const { result, made, leave } = ended
    const attempt = item.attempts + made
    let outcome: DeliveryResult = 'delivered'
    let retryScheduled: number | undefined
    try {
      if (!(await this.rowStored(item, stored))) {
        // Its event's write failed, and the listener that wrote it reported that: there is no row
        // to hold a retry, so a failed delivery ends here.
        if (!result.ok) {
          outcome = 'dead'
          logger.warn({ deliveryId: item.id, event: item.event, attempts: attempt, error: result.error }, 'webhook delivery failed and its event was not stored: not retried')
        }
      } else if (result.ok) {
        // Batched when the claim made one attempt (nearly always); a count above one goes alone.
        await (made === 1 ? this.acks.write(item.id) : outbox.ack(item.id, this.workerId, made))
      } else {
        const retryAt = leave ? leave.retryAt : endpoint && nextAttemptAt(endpoint, attempt, result)
        if (retryAt !== null) {
          outcome = 'retry'
          retryScheduled = retryAt
          await outbox.fail(item.id, this.workerId, result.error, retryAt, made)
          this.wakeAt(retryAt)
        } else {
          outcome = 'dead'
          await outbox.fail(item.id, this.workerId, result.error, null, made)
          logger.warn({ deliveryId: item.id, event: item.event, attempts: attempt, error: result.error }, 'webhook delivery dead-lettered')
        }
      }
    } catch (error) {
      // The item stays claimed and comes back after the visibility timeout: delivered again at worst.
      logger.error({ err: error, deliveryId: item.id }, 'webhook outbox update failed')
    } finally {
      // A handed-over item left `held` when it started waiting for its write (rowStored); by now
      // the id may be held again by a later claim of its row, which is not this delivery's to end.
      if (!stored) this.held.delete(item.id)
    }
    this.report(item, endpoint, outcome, attempt, ended, retryScheduled)
  }

  /**
   * Whether the item's row is in the outbox, claimed by this worker: always for claimed rows; for a
   * handed-over item, once its write is done, if the write inserted it.
   */
  private async rowStored(item: OutboxItem, stored: Stored | undefined): Promise<boolean> {
    if (!stored) return true
    // No claim can return the row meanwhile (it is claimed by this worker from the moment it
    // exists), and the wait is the disk's: the room goes to other deliveries.
    this.held.delete(item.id)
    return (await stored).has(item.id)
  }

  private report(
    item: OutboxItem,
    endpoint: ResolvedEndpoint | null,
    result: DeliveryResult,
    attempt: number,
    { result: attemptResult, durationMs, endedAt }: Pick<Ended, 'result' | 'durationMs' | 'endedAt'>,
    nextAttemptAt?: number,
  ): void {
    this.deps.observe({
      item,
      endpoint,
      result,
      attempt,
      status: 'status' in attemptResult ? attemptResult.status : undefined,
      error: attemptResult.ok ? undefined : attemptResult.error,
      durationMs,
      endedAt,
      ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
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
