import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BatchWriter } from '../../src/plugins/webhooks/batch.js'

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }))
afterEach(() => vi.useRealTimers())

/** A writer whose writes are recorded and settle when told. */
function writer(options: { maxBatch: number; linger?: { ms: number; while(): boolean } }) {
  const writes: number[][] = []
  const settle: (() => void)[] = []
  const w = new BatchWriter<number>({
    ...options,
    writeMany: (groups) => {
      writes.push(groups)
      return new Promise<void>((resolve) => settle.push(resolve))
    },
    writeOne: async (group) => void writes.push([group]),
  })
  return { w, writes, settle }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('BatchWriter', () => {
  it('writes at once, and groups what arrives meanwhile into the next write', async () => {
    const { w, writes, settle } = writer({ maxBatch: 10 })
    const first = w.write(1)
    await turn()
    expect(writes).toEqual([[1]])
    const rest = [w.write(2), w.write(3)]
    await turn()
    expect(writes).toEqual([[1]])
    settle.shift()!()
    await first
    await turn()
    expect(writes).toEqual([[1], [2, 3]])
    settle.shift()!()
    await Promise.all(rest)
  })

  it('lingers while more is coming, until the batch fills or the time is up', async () => {
    let coming = true
    const { w, writes, settle } = writer({ maxBatch: 3, linger: { ms: 5, while: () => coming } })
    const done = [w.write(1), w.write(2)]
    await turn()
    expect(writes).toEqual([]) // waiting for more
    done.push(w.write(3)) // the batch is full: it goes without waiting out the time
    await turn()
    expect(writes).toEqual([[1, 2, 3]])
    settle.shift()!()
    await Promise.all(done)

    const late = w.write(4)
    await turn()
    expect(writes).toHaveLength(1)
    vi.advanceTimersByTime(5)
    await turn()
    expect(writes).toEqual([[1, 2, 3], [4]])
    settle.shift()!()
    await late

    coming = false // nothing else is on its way: no wait
    const alone = w.write(5)
    await turn()
    expect(writes).toEqual([[1, 2, 3], [4], [5]])
    settle.shift()!()
    await alone
    await w.idle()
  })
})
