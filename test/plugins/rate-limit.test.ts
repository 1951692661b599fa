/**
 * The per-session send queue (core, src/session/send-queue.ts) as the issue asks for it: FIFO,
 * token bucket global or per session, bounded (RATE_LIMITED), and queued sends failing cleanly when
 * the session stops. Unit tests of the bucket itself live in test/unit/send-queue.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { managedHarness, pairedSession } from '../helpers/manager.js'

const start = managedHarness()

async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve))
}

function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; error?: { code?: string } } = { settled: false }
  promise.then(
    () => (state.settled = true),
    (error: { code?: string }) => Object.assign(state, { settled: true, error }),
  )
  return state
}

describe('send queue and rate limit', () => {
  it('fails queued sends at once when the session ends (logged out), instead of when their token comes', async () => {
    const h = await start({ rateLimit: { perSecond: 0.2, burst: 1 } })
    const s = await pairedSession(h, 'ending')
    await s.sendText('5511988887777', 'first') // takes the only token
    const queued = [track(s.sendText('5511988887777', 'second')), track(s.sendText('5511988887777', 'third'))]
    h.mock.disconnect(s.id, 401)
    await s.waitFor('logged_out', 5_000)
    await settle()
    expect(queued.map((q) => q.error?.code)).toEqual(['SESSION_NOT_CONNECTED', 'SESSION_NOT_CONNECTED'])
    expect(h.mock.sent(s.id)).toHaveLength(1)
  })

  it('never sends twice or out of order across a transient drop (a queued send goes out once back, or fails cleanly)', async () => {
    const h = await start({ rateLimit: { perSecond: 20, burst: 1 } })
    const s = await pairedSession(h, 'blip')
    await s.sendText('5511988887777', 'a')
    const b = s.sendText('5511988887777', 'b')
    h.mock.disconnect(s.id, 428)
    await s.waitFor('connected', 5_000)
    // b either went out after the reconnect or failed cleanly if its turn came while disconnected.
    const outcome = await b.then(() => 'sent', (e: { code: string }) => e.code)
    expect(['sent', 'SESSION_NOT_CONNECTED']).toContain(outcome)
    expect(h.mock.sent(s.id).map((m) => (m.content as { text: string }).text)).toEqual(outcome === 'sent' ? ['a', 'b'] : ['a'])
  })

  it('a per-session rate limit set to null falls back to the manager default', async () => {
    const h = await start({ rateLimit: { perSecond: 0.2, burst: 1 } })
    const s = await pairedSession(h, 'fallback')
    await s.update({ rateLimit: { perSecond: 1000, burst: 10 } })
    await Promise.all(Array.from({ length: 5 }, (_, i) => s.sendText('5511988887777', `fast${i}`)))
    await s.update({ rateLimit: null })
    expect(s.rateLimit).toBeNull()
    const slow = [track(s.sendText('5511988887777', 'slow0')), track(s.sendText('5511988887777', 'slow1'))]
    await settle()
    // The manager default (0.2/s, burst 1) lets at most one through right away.
    expect(slow.filter((q) => q.settled).length).toBeLessThanOrEqual(1)
    await s.disconnect()
  })
})
