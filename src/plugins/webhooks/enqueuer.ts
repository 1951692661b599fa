import type { NewOutboxItem, OutboxRepository } from '../../storage/types.js'

interface Group {
  items: NewOutboxItem[]
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Writes outbox items in batches: the items of events that arrive while a write is in flight go
 * together in the next one, so a burst costs a few round trips instead of one per event. Each
 * caller's promise settles when the write holding its items committed, so an event is in the
 * outbox before its listener returns. When a shared write fails (one event of a deleted session
 * fails the whole batch), each event is written on its own so that only the bad one fails.
 */
export class BatchingEnqueuer {
  private pending: Group[] = []
  private inFlight: Promise<void> | null = null

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly maxBatch: number,
    private readonly written: () => void,
  ) {}

  enqueue(items: NewOutboxItem[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject })
      this.inFlight ??= this.drain()
    })
  }

  /** Resolves when nothing is waiting to be written. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight
  }

  private async drain(): Promise<void> {
    // Let the other events of this tick join the first batch.
    await Promise.resolve()
    while (this.pending.length) {
      const groups = this.takeBatch()
      try {
        await this.outbox.enqueue(groups.flatMap((group) => group.items))
        for (const group of groups) group.resolve()
      } catch (error) {
        if (groups.length === 1) groups[0]!.reject(error)
        else await Promise.all(groups.map((group) => this.outbox.enqueue(group.items).then(group.resolve, group.reject)))
      }
      this.written()
    }
    this.inFlight = null
  }

  /** Whole groups up to `maxBatch` items (a single larger group goes alone). */
  private takeBatch(): Group[] {
    let count = 0
    let take = 0
    while (take < this.pending.length && (take === 0 || count + this.pending[take]!.items.length <= this.maxBatch)) {
      count += this.pending[take]!.items.length
      take++
    }
    return this.pending.splice(0, take)
  }
}
