import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SessionError } from '../../src/index.js'
import { SendQueue } from '../../src/session/send-queue.js'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

describe('send queue', () => {
  it('runs tasks one after the other in order, even when they take different times', async () => {
    const queue = new SendQueue(() => null, 100)
    const log: string[] = []
    const task = (name: string, ms: number) => () =>
      new Promise<string>((resolve) => setTimeout(() => (log.push(name), resolve(name)), ms))
    const all = Promise.all([queue.push(task('a', 30)), queue.push(task('b', 1)), queue.push(task('c', 10))])
    await vi.runAllTimersAsync()
    expect(await all).toEqual(['a', 'b', 'c'])
    expect(log).toEqual(['a', 'b', 'c'])
  })

  it('paces by the token bucket: burst at once, then perSecond', async () => {
    const queue = new SendQueue(() => ({ perSecond: 2, burst: 3 }), 100)
    const done: number[] = []
    const start = Date.now()
    for (let i = 0; i < 7; i++) void queue.push(async () => done.push(Date.now() - start))
    await vi.advanceTimersByTimeAsync(0)
    expect(done).toEqual([0, 0, 0])
    await vi.advanceTimersByTimeAsync(500)
    expect(done).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(1500)
    expect(done).toEqual([0, 0, 0, 500, 1000, 1500, 2000])
  })

  it('is bounded and fails everything queued on failAll', async () => {
    const queue = new SendQueue(() => ({ perSecond: 1, burst: 1 }), 2)
    const first = queue.push(async () => 1)
    const second = queue.push(async () => 2)
    const third = queue.push(async () => 3)
    await expect(queue.push(async () => 4)).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    expect(await first).toBe(1)
    queue.failAll(new SessionError('SESSION_NOT_CONNECTED', 'gone'))
    await expect(second).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' })
    await expect(third).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' })
    expect(queue.size).toBe(0)
  })
})
