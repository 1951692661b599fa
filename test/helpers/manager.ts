import { afterEach } from 'vitest'
import { SessionManager, createMemoryStorage, createSilentLogger, type SessionManagerOptions, type SessionStatus } from '../../src/index.js'
import type { Session } from '../../src/index.js'
import { createMockSocketFactory, type MockSocketFactory } from '../../src/testing/index.js'

export interface Harness {
  manager: SessionManager
  mock: MockSocketFactory
}

/** A started manager over the mock socket with fast reconnects; every option can be overridden. */
export async function startManager(options: SessionManagerOptions & { mock?: MockSocketFactory } = {}): Promise<Harness> {
  const mock = options.mock ?? createMockSocketFactory()
  const manager = new SessionManager({
    storage: createMemoryStorage(),
    logger: createSilentLogger(),
    socketFactory: mock.factory,
    reconnect: { minDelayMs: 1, maxDelayMs: 5, maxAttempts: 5 },
    ...options,
  })
  await manager.start()
  return { manager, mock }
}

/** Creates, connects and pairs a session through the mock; resolves once it is connected. */
export async function pairedSession(h: Harness, name: string, phoneNumber = '5511999990001'): Promise<Session> {
  const session = await h.manager.create({ name })
  await session.connect()
  await session.waitFor('qr', 5_000)
  h.mock.scan(session.id, { phoneNumber })
  await session.waitFor('connected', 5_000)
  return session
}

/** Collects the statuses a session goes through. */
export function recordStatuses(session: Session): SessionStatus[] {
  const seen: SessionStatus[] = []
  session.on('session.status', ({ status }) => seen.push(status))
  return seen
}

/** A `startManager` for one test file whose managers are stopped after each test. */
export function managedHarness(): (options?: Parameters<typeof startManager>[0]) => Promise<Harness> {
  const managers: SessionManager[] = []
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.stop().catch(() => undefined)))
  })
  return async (options = {}) => {
    const h = await startManager(options)
    managers.push(h.manager)
    return h
  }
}

/** Retries `assertion` until it passes (events are handled asynchronously) or `timeoutMs` runs out. */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await assertion()
      return
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
}
