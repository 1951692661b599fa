/** What the queue needs of an item: when it is due, and its place in enqueue order. */
export interface Schedulable {
  readonly id: string
  readonly availableAt: number
  readonly seq: number
}

const dueOrder = (a: Schedulable, b: Schedulable) => a.availableAt - b.availableAt || a.seq - b.seq

/**
 * The memory outbox's pending items, for claims in due order (availableAt, then seq) without
 * sorting the whole backlog on every claim. Nearly every item arrives due now, after the ones
 * before it: those go to `ordered`, kept in due order by arrival, so a claim walks it from the
 * head and stops at the first item not yet due. The rest (retries, items due later, a clock that
 * stepped back) wait in `other`, which each claim scans whole: a claim costs the items held at
 * the head, plus the claim's size, plus those.
 */
export class DueQueue<T extends Schedulable> {
  private readonly ordered = new Map<string, T>()
  private readonly other = new Map<string, T>()
  /** Where the last item added to `ordered` was (a copy: items change once out of the queue); nothing in it comes later. */
  private tail: Schedulable | null = null

  add(item: T): void {
    if (this.tail === null || dueOrder(this.tail, item) < 0) {
      this.ordered.set(item.id, item)
      this.tail = { id: item.id, availableAt: item.availableAt, seq: item.seq }
    } else this.other.set(item.id, item)
  }

  delete(id: string): void {
    if (!this.ordered.delete(id)) this.other.delete(id)
  }

  /** Up to `limit` items due at `now` that `free` accepts, in due order. */
  due(now: number, limit: number, free: (item: T) => boolean): T[] {
    const picked: T[] = []
    for (const item of this.ordered.values()) {
      if (picked.length >= limit || item.availableAt > now) break
      if (free(item)) picked.push(item)
    }
    for (const item of this.other.values()) if (item.availableAt <= now && free(item)) picked.push(item)
    return picked.sort(dueOrder).slice(0, limit)
  }
}
