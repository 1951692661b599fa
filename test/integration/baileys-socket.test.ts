import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { SessionManager, createSilentLogger } from '../../src/index.js'

/** A port nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('the real Baileys socket (default factory)', () => {
  it('wires the socket before its first event, backs off on a refused connection, then opens the circuit', async () => {
    const port = await closedPort()
    const manager = new SessionManager({
      logger: createSilentLogger(),
      baileys: { waWebSocketUrl: `ws://127.0.0.1:${port}/ws/chat`, connectTimeoutMs: 2_000 },
      reconnect: { minDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 },
    })
    await manager.start()
    const s = await manager.create({ name: 'offline' })
    const statuses: { status: string; code?: number | null }[] = []
    s.on('session.status', ({ status, code }) => statuses.push({ status, code }))
    const updates: unknown[] = []
    s.on('connection.update', (u) => updates.push(u))
    await s.connect()
    await s.waitFor('failed', 20_000)
    expect(statuses.map((x) => x.status)).toEqual(['starting', 'reconnecting', 'reconnecting', 'failed'])
    expect(statuses[1]!.code).toBe(408)
    expect(updates[0]).toEqual({ connection: 'connecting', receivedPendingNotifications: false })
    expect(s.error).toMatchObject({ code: 'CONNECTION_FAILED' })
    expect(s.lastDisconnect).toMatchObject({ code: 408, reason: 'connection_lost', message: expect.stringContaining('ECONNREFUSED') })
    await manager.stop()
  })
})
