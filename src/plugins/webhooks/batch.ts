interface Pending<G> {
  group: G
  resolve: () => void
  reject: (error: unknown) => void
}

export interface BatchWriterOptions<G> {
  /** Writes many groups in one round trip. */
  writeMany(groups: G[]): Promise<void>
  /** Writes one group on its own, after a shared write failed. */
  writeOne(group: G): Promise<void>
  /** Rows a group adds to a write. @default 1 */
  size?(group: G): number
  /** Rows per write; larger bursts are split (a single larger group goes alone). */
  maxBatch: number
  /**
   * While `while()` says more groups are on their way, a write of fewer than `maxBatch` rows
   * waits up to `ms` for them. @default none: a write goes as soon as the previous one is done
   */
  linger?: { ms: number; while(): boolean }
}

/**
 * Group commit for outbox writes: what arrives while a write is in flight goes together in the
 * next one, so a burst costs a few round trips instead of one per event (or per ack), and a lone
 * write still goes at once. Each caller's promise settles when the write holding its group
 * committed. When a shared write fails (e.g. one event of a deleted session fails a whole
 * enqueue), each group is written on its own so only the bad one fails.
 */
export class BatchWriter<G> {
  private pending: Pending<G>[] = []
  private pendingRows = 0
  private inFlight: Promise<void> | null = null
  /** Ends a linger early, once the pending rows fill a batch. */
  private filled: (() => void) | null = null

  constructor(private readonly options: BatchWriterOptions<G>) {}

  write(group: G): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ group, resolve, reject })
      this.pendingRows += this.size(group)
      if (this.filled && this.pendingRows >= this.options.maxBatch) this.filled()
      this.inFlight ??= this.drain()
    })
  }

  /** Resolves when nothing is waiting to be written. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight
  }

  private async drain(): Promise<void> {
    // Let the other writes of this tick join the first batch.
    await Promise.resolve()
    while (this.pending.length) {
      await this.linger()
      const batch = this.takeBatch()
      try {
        await this.options.writeMany(batch.map((entry) => entry.group))
        for (const entry of batch) entry.resolve()
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error)
        else await Promise.all(batch.map((entry) => this.options.writeOne(entry.group).then(entry.resolve, entry.reject)))
      }
    }
    this.inFlight = null
  }

  private size(group: G): number {
    return this.options.size ? this.options.size(group) : 1
  }

  private async linger(): Promise<void> {
    const { linger, maxBatch } = this.options
    if (!linger || this.pendingRows >= maxBatch || !linger.while()) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.filled?.(), linger.ms)
      this.filled = () => {
        clearTimeout(timer)
        this.filled = null
        resolve()
      }
    })
  }

  private takeBatch(): Pending<G>[] {
    let rows = 0
    let take = 0
    while (take < this.pending.length && (take === 0 || rows + this.size(this.pending[take]!.group) <= this.options.maxBatch)) {
      rows += this.size(this.pending[take]!.group)
      take++
    }
    this.pendingRows -= rows
    return this.pending.splice(0, take)
  }
}
