/**
 * npm run bench: 1,000 mock sessions through the SessionManager.
 * - SDK memory per connected session (heap, after GC; the mock sockets' own memory included)
 * - time to restore 1,000 paired sessions on start()
 * - events per second through the manager (messages.upsert from every session to one listener)
 * Targets (issue A): <= 200 KB per session, restore < 2 s, >= 50,000 events/s.
 */
import { cpus, totalmem } from 'node:os'
import { SessionManager, createMemoryBacking, createMemoryStorage, createSilentLogger } from '../src/index.js'
import { createMockSocketFactory } from '../src/testing/index.js'

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000)

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc (npm run bench does)')
function heap(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

function manager(backing: ReturnType<typeof createMemoryBacking>, mock = createMockSocketFactory()) {
  return {
    mock,
    manager: new SessionManager({
      storage: createMemoryStorage({ backing }),
      socketFactory: mock.factory,
      logger: createSilentLogger(),
      restore: { concurrency: 5 },
    }),
  }
}

async function main() {
  const backing = createMemoryBacking()
  const first = manager(backing)
  await first.manager.start()
  const before = heap()
  const rssBefore = process.memoryUsage().rss
  const sessions = []
  for (let i = 0; i < SESSIONS; i++) sessions.push(await first.manager.create({ name: `bench-${i}` }))
  await Promise.all(sessions.map((s) => s.connect()))
  await Promise.all(sessions.map((s) => s.waitFor('qr', 60_000)))
  sessions.forEach((s, i) => first.mock.scan(s.id, { phoneNumber: `55119${String(i).padStart(8, '0')}` }))
  await Promise.all(sessions.map((s) => s.waitFor('connected', 60_000)))
  const perSessionHeap = (heap() - before) / SESSIONS
  const perSessionRss = (process.memoryUsage().rss - rssBefore) / SESSIONS

  // Events per second: every session receives texts, one manager listener counts them.
  let received = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => (done = resolve))
  first.manager.on('messages.upsert', () => {
    if (++received === EVENTS) done()
  })
  const started = performance.now()
  for (let i = 0; i < EVENTS; i++) {
    first.mock.receiveText(sessions[i % SESSIONS]!.id, { from: '5511988887777', text: `m${i}` })
    if (i % 5_000 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  await finished
  const eventsPerSecond = EVENTS / ((performance.now() - started) / 1000)
  await first.manager.stop()

  // Restore: a new manager over the same data reconnects every session (5 at a time).
  const second = manager(backing)
  const restoreStarted = performance.now()
  await second.manager.start()
  const restoreMs = performance.now() - restoreStarted
  const connected = (await second.manager.list({ limit: 1000, status: 'connected' })).items.length
  await second.manager.stop()

  const results = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    sessions: SESSIONS,
    heapPerConnectedSessionKB: Math.round(perSessionHeap / 102.4) / 10,
    rssPerConnectedSessionKB: Math.round(perSessionRss / 102.4) / 10,
    restore: { sessions: SESSIONS, connected, ms: Math.round(restoreMs) },
    events: { count: EVENTS, perSecond: Math.round(eventsPerSecond) },
    targets: {
      memory: perSessionHeap <= 200 * 1024 ? 'met' : 'MISSED',
      restore: restoreMs < 2_000 && connected === SESSIONS ? 'met' : 'MISSED',
      events: eventsPerSecond >= 50_000 ? 'met' : 'MISSED',
    },
  }
  console.log(JSON.stringify(results, null, 2))
}

await main()
