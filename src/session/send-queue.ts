import { SendError, type WafleetError } from '../errors.js'
import type { RateLimitConfig } from '../storage/types.js'

interface Pending {
  run: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * The outgoing queue of one session: strictly FIFO (a send starts after the previous one finished,
 * so a text never overtakes the media queued before it), paced by a token bucket when a rate limit
 * applies, bounded (a full queue answers `RATE_LIMITED`).
 */
export class SendQueue {
  private readonly pending: Pending[] = []
  private pumping = false
  private tokens: number | null = null
  private refilledAt = Date.now()
  private wake: { timer: NodeJS.Timeout; resolve: () => void } | null = null

  constructor(
    private readonly limit: () => RateLimitConfig | null,
    private readonly maxQueue: number,
  ) {}

  get size(): number {
    return this.pending.length
  }

  push<T>(run: () => Promise<T>): Promise<T> {
    if (this.pending.length >= this.maxQueue) {
      return Promise.reject(
        new SendError('RATE_LIMITED', `Send queue is full (${this.maxQueue} messages waiting)`, { details: { maxQueue: this.maxQueue } }),
      )
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, resolve: resolve as (value: unknown) => void, reject })
      void this.pump()
    })
  }

  /** Rejects every queued send (e.g. when the session disconnects); the one in flight finishes. */
  failAll(error: WafleetError): void {
    for (const item of this.pending.splice(0)) item.reject(error)
    if (this.wake) {
      clearTimeout(this.wake.timer)
      this.wake.resolve()
      this.wake = null
    }
  }

  /** ms to wait before the next send may start; takes a token when it returns 0. */
  private takeToken(): number {
    const limit = this.limit()
    if (!limit) return 0
    const now = Date.now()
    const tokens = Math.min(limit.burst, (this.tokens ?? limit.burst) + ((now - this.refilledAt) / 1000) * limit.perSecond)
    this.refilledAt = now
    if (tokens >= 1) {
      this.tokens = tokens - 1
      return 0
    }
    this.tokens = tokens
    return Math.ceil(((1 - tokens) / limit.perSecond) * 1000)
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.pending.length) {
        const wait = this.takeToken()
        if (wait > 0) {
          await new Promise<void>((resolve) => (this.wake = { timer: setTimeout(resolve, wait), resolve }))
          this.wake = null
          continue
        }
        const item = this.pending.shift()!
        try {
          item.resolve(await item.run())
        } catch (error) {
          item.reject(error)
        }
      }
    } finally {
      this.pumping = false
    }
  }
}
