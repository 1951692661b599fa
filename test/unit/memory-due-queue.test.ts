import { describe, expect, it } from 'vitest'
import { DueQueue } from '../../src/storage/memory-due-queue.js'

interface Item {
  id: string
  availableAt: number
  seq: number
  held: boolean
}

/** What a claim must return: every due, free item in (availableAt, seq) order, the first `limit`. */
const naive = (items: Iterable<Item>, now: number, limit: number) =>
  [...items]
    .filter((i) => i.availableAt <= now && !i.held)
    .sort((a, b) => a.availableAt - b.availableAt || a.seq - b.seq)
    .slice(0, limit)
    .map((i) => i.id)

describe('memory outbox due queue', () => {
  it('returns due items in due order, whatever order they came in', () => {
    const q = new DueQueue<Item>()
    const items: Item[] = [
      { id: 'a', availableAt: 100, seq: 1, held: false },
      { id: 'b', availableAt: 100, seq: 2, held: false },
      { id: 'later', availableAt: 500, seq: 3, held: false },
      { id: 'past', availableAt: 50, seq: 4, held: false }, // enqueued with a time before the others
      { id: 'c', availableAt: 120, seq: 5, held: false },
    ]
    for (const item of items) q.add(item)
    expect(q.due(200, 10, (i) => !i.held).map((i) => i.id)).toEqual(['past', 'a', 'b', 'c'])
    expect(q.due(1_000, 2, (i) => !i.held).map((i) => i.id)).toEqual(['past', 'a'])
    expect(q.due(60, 10, (i) => !i.held).map((i) => i.id)).toEqual(['past'])
  })

  it('skips held items and goes on past them to fill the limit', () => {
    const q = new DueQueue<Item>()
    const items = Array.from({ length: 10 }, (_, n): Item => ({ id: `i${n}`, availableAt: 100 + n, seq: n, held: n < 4 }))
    for (const item of items) q.add(item)
    expect(q.due(1_000, 3, (i) => !i.held).map((i) => i.id)).toEqual(['i4', 'i5', 'i6'])
  })

  it('keeps a rescheduled item (a retry) in order, and a later fresh item after it when due', () => {
    const q = new DueQueue<Item>()
    const a: Item = { id: 'a', availableAt: 100, seq: 1, held: false }
    const b: Item = { id: 'b', availableAt: 101, seq: 2, held: false }
    q.add(a)
    q.add(b)
    // b fails and is due again at 300 (the store deletes, changes, adds).
    q.delete('b')
    b.availableAt = 300
    q.add(b)
    const c: Item = { id: 'c', availableAt: 200, seq: 3, held: false }
    q.add(c)
    expect(q.due(250, 10, () => true).map((i) => i.id)).toEqual(['a', 'c'])
    expect(q.due(400, 10, () => true).map((i) => i.id)).toEqual(['a', 'c', 'b'])
    q.delete('a')
    q.delete('c')
    expect(q.due(400, 10, () => true).map((i) => i.id)).toEqual(['b'])
  })

  it('agrees with sorting everything, over random adds, deletes, reschedules and holds', () => {
    let seed = 42
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const q = new DueQueue<Item>()
    const live = new Map<string, Item>()
    let seq = 0
    let clock = 1_000
    for (let step = 0; step < 5_000; step++) {
      const r = random()
      clock += random() < 0.05 ? -Math.floor(random() * 50) : Math.floor(random() * 5) // now and then the clock steps back
      if (r < 0.5 || live.size === 0) {
        const item: Item = { id: `n${seq}`, availableAt: random() < 0.8 ? clock : clock + Math.floor(random() * 200) - 50, seq: seq++, held: false }
        live.set(item.id, item)
        q.add(item)
      } else {
        const ids = [...live.keys()]
        const item = live.get(ids[Math.floor(random() * ids.length)]!)!
        if (r < 0.7) {
          q.delete(item.id)
          live.delete(item.id)
        } else if (r < 0.85) {
          q.delete(item.id)
          item.availableAt = clock + Math.floor(random() * 100)
          q.add(item)
        } else item.held = !item.held
      }
      const limit = 1 + Math.floor(random() * 20)
      const now = clock + Math.floor(random() * 100) - 50
      expect(q.due(now, limit, (i) => !i.held).map((i) => i.id)).toEqual(naive(live.values(), now, limit))
    }
  })
})
