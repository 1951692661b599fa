import { describe, expect, it, vi } from 'vitest'
import { uuidv7 } from '../../src/util/ids.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The 48-bit millisecond timestamp at the front of a UUIDv7. */
const timeOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

describe('uuidv7', () => {
  it('has the version 7 and RFC 9562 variant bits, and the current time in front', () => {
    const before = Date.now()
    const id = uuidv7()
    expect(id).toMatch(UUID_V7)
    expect(timeOf(id)).toBeGreaterThanOrEqual(before)
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now())
  })

  it('is unique and strictly increasing over many ids, across refills of its random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7())
    expect(new Set(ids).size).toBe(ids.length)
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true)
    for (const id of ids) expect(id).toMatch(UUID_V7)
  })

  it('stays increasing within one millisecond past its counter, and when the clock steps back', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 })
    try {
      // 5,000 ids in one millisecond overflow the 12-bit counter: the timestamp moves on by itself.
      const burst = Array.from({ length: 5_000 }, () => uuidv7())
      vi.setSystemTime(Date.now() - 10_000)
      const afterStepBack = uuidv7()
      const all = [...burst, afterStepBack]
      for (let i = 1; i < all.length; i++) expect(all[i]! > all[i - 1]!).toBe(true)
      expect(timeOf(afterStepBack)).toBeGreaterThan(Date.now())
    } finally {
      vi.useRealTimers()
    }
  })

  it('draws its random part at random: the last 62 bits differ between ids', () => {
    const tails = new Set(Array.from({ length: 1_000 }, () => uuidv7().slice(19)))
    expect(tails.size).toBe(1_000)
  })
})
