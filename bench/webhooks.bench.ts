/**
 * npm run bench:webhooks: webhook deliveries through the durable outbox to a local receiver.
 *
 *   throughput  EVENTS events (messages.upsert from 10 sessions over the mock socket) produced as
 *               fast as the manager takes them; deliveries/s = events / (last delivery - first event).
 *               Everything is inside: the plugin listener writing the outbox, claims, HTTP, acks.
 *               Also the CPU each delivery took in this process, in the receiver and in Postgres
 *               (all postgres processes, from /proc, so nothing else should run meanwhile): on a
 *               2-core machine their sum is what bounds the rate.
 *   latency     events at a fixed RATE per second for WARMUP_SECONDS + LATENCY_SECONDS; for each delivery, the time
 *               from the event's emission (the body's `timestamp`, taken before its row is written) to
 *               its arrival, as the receiver clocks it. p50, p99 and max are of the events after the
 *               warm-up (a fresh manager and store: new database and HTTP connections, statements
 *               prepared on each); the p99 of all of them is reported too, and the p99 to the ack (the
 *               outcome published on the delivery channel, after it was written).
 *
 * Stores: memory (reference), SQLite (a temp file, WAL, synchronous SQLITE_SYNCHRONOUS: FULL, the adapter's
 * default, or NORMAL), Postgres (a throwaway
 * schema on WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL; skipped when neither is set).
 * Every store runs as the adapter is: the SQL outboxes ack a batch of deliveries with `ackMany` (one
 * statement in Postgres, one transaction in SQLite).
 * The receiver is a plain node:http server in a child process answering 204.
 * Env: EVENTS (default 20000), ROUNDS (3), RATE (1000), LATENCY_SECONDS (10; 0 skips it), WARMUP_SECONDS (1), CONCURRENCY (per endpoint,
 * default 10), MAX_IN_FLIGHT (plugin default), PG_POOL (10), SESSIONS (10), SQLITE_SYNCHRONOUS (FULL), STORES (comma-separated names,
 * default all).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createMemoryStorage, createSilentLogger, SessionManager, type Session, type StorageAdapter } from '../src/index.js'
import { WEBHOOK_DELIVERY_CHANNEL, webhooks, type WebhookDeliveryMessage } from '../src/plugins/webhooks/index.js'
import { createPostgresStorage } from '../src/storage/postgres/index.js'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'
import { createMockSocketFactory } from '../src/testing/index.js'
import { pidTicks, postgresTicks, TICK_US } from './proc-cpu.js'

const EVENTS = Number(process.env.EVENTS ?? 20_000)
const RATE = Number(process.env.RATE ?? 1_000)
const LATENCY_SECONDS = Number(process.env.LATENCY_SECONDS ?? 10)
const WARMUP_SECONDS = Number(process.env.WARMUP_SECONDS ?? 1)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const SESSIONS = Number(process.env.SESSIONS ?? 10)
const PG_POOL = Number(process.env.PG_POOL ?? 10)
const PG_URL = process.env.WAFLEET_BENCH_PG_URL ?? process.env.WAFLEET_TEST_PG_URL
const SQLITE_SYNCHRONOUS = (process.env.SQLITE_SYNCHRONOUS ?? 'FULL') as 'FULL' | 'NORMAL'

// The receiver answers 204. Requests to /timed also record when they arrived, against the event's
// own `timestamp` (set when the event was emitted, before its row is written), and GET /samples
// hands those records over (and forgets them): the latency a receiver sees, measured outside the SDK.
const RECEIVER = `
const http = require('node:http')
let samples = []
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/samples') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(samples))
    samples = []
    return
  }
  const timed = req.url === '/timed'
  const chunks = []
  if (timed) req.on('data', (chunk) => chunks.push(chunk))
  else req.resume()
  req.on('end', () => {
    if (timed) samples.push([req.headers['x-wafleet-delivery'], JSON.parse(Buffer.concat(chunks).toString()).timestamp, Date.now()])
    res.statusCode = 204
    res.end()
  })
})
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

interface Receiver {
  /** Where deliveries go (the receiver only answers). */
  url: string
  /** Where deliveries go to be timed. */
  timedUrl: string
  /** The timed deliveries since the last call: id, the event's timestamp, arrival (ms since the epoch). */
  samples(): Promise<[string, number, number][]>
  child: ChildProcess
}

async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())))
  const base = `http://127.0.0.1:${port}`
  return {
    url: `${base}/hook`,
    timedUrl: `${base}/timed`,
    samples: async () => (await (await fetch(`${base}/samples`)).json()) as [string, number, number][],
    child,
  }
}

interface Run {
  manager: SessionManager
  sessions: Session[]
  emit(i: number): void
  delivered(): number
  /** With `timed`: when each delivery's outcome was published (ms since the epoch), after it was written to the outbox. */
  outcomeAt: Map<string, number>
  stop(): Promise<void>
}

async function setup(storage: StorageAdapter, url: string, timed = false): Promise<Run> {
  const mock = createMockSocketFactory()
  const manager = new SessionManager({
    storage,
    logger: createSilentLogger(),
    socketFactory: mock.factory,
    restore: { enabled: false },
    plugins: [webhooks({ endpoints: [{ url, events: ['messages.upsert'], concurrency: CONCURRENCY }], ...(process.env.MAX_IN_FLIGHT ? { maxInFlight: Number(process.env.MAX_IN_FLIGHT) } : {}) })],
  })
  await manager.start()
  const sessions: Session[] = []
  for (let i = 0; i < SESSIONS; i++) {
    const session = await manager.create({ name: `bench-${i}` })
    await session.connect()
    await session.waitFor('qr', 5_000)
    mock.scan(session.id, { phoneNumber: `55119000000${String(i).padStart(2, '0')}` })
    await session.waitFor('connected', 5_000)
    sessions.push(session)
  }
  let delivered = 0
  const outcomeAt = new Map<string, number>()
  const listener = (raw: unknown) => {
    const message = raw as WebhookDeliveryMessage
    if (message.manager !== manager || message.result !== 'delivered') return
    delivered++
    if (timed) outcomeAt.set(message.deliveryId, Date.now())
  }
  subscribe(WEBHOOK_DELIVERY_CHANNEL, listener)
  return {
    manager,
    sessions,
    emit: (i) => void mock.receiveText(sessions[i % SESSIONS]!.id, { from: '5511988887777', text: `event ${i}`, id: `B${i}` }),
    delivered: () => delivered,
    outcomeAt,
    async stop() {
      unsubscribe(WEBHOOK_DELIVERY_CHANNEL, listener)
      await manager.stop()
    },
  }
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const guard = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > guard) throw new Error(`timed out: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

interface Throughput {
  rate: number
  /** CPU per delivery, µs: this process, the receiver, every postgres process. */
  cpu: { self: number; receiver: number; postgres: number }
}

async function throughput(open: () => Promise<StorageAdapter>, receiver: Receiver): Promise<Throughput> {
  const run = await setup(await open(), receiver.url)
  const self = process.cpuUsage()
  const receiverTicks = pidTicks(receiver.child.pid!)
  const pgTicks = postgresTicks()
  const started = performance.now()
  // Produce in slices so the event loop also runs deliveries meanwhile, as it would in a server.
  for (let i = 0; i < EVENTS; i++) {
    run.emit(i)
    if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve))
  }
  await waitFor(() => run.delivered() >= EVENTS, 300_000, 'throughput deliveries')
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(self)
  const cpu = {
    self: (used.user + used.system) / EVENTS,
    receiver: ((pidTicks(receiver.child.pid!) - receiverTicks) * TICK_US) / EVENTS,
    postgres: ((postgresTicks() - pgTicks) * TICK_US) / EVENTS,
  }
  await run.stop()
  return { rate: EVENTS / seconds, cpu }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** From an event's emission to its arrival at the receiver, ms; and to its outcome written to the outbox. */
interface Latency {
  p50: number
  p99: number
  max: number
  /** p99 of every delivery, the warm-up included. */
  p99All: number
  /** p99 after the warm-up, to the outcome (the ack) instead of the arrival. */
  p99Outcome: number
}

async function latency(open: () => Promise<StorageAdapter>, receiver: Receiver): Promise<Latency> {
  await receiver.samples()
  const run = await setup(await open(), receiver.timedUrl, true)
  const total = RATE * (WARMUP_SECONDS + LATENCY_SECONDS)
  const measuredFrom = Date.now() + WARMUP_SECONDS * 1000
  const started = performance.now()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE))
    while (sent < due) run.emit(sent++)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await waitFor(() => run.delivered() >= total, 120_000, 'latency deliveries')
  await run.stop()
  const samples = await receiver.samples()
  const ids = new Set(samples.map(([id]) => id))
  if (samples.length !== total || ids.size !== total) throw new Error(`the receiver got ${samples.length} deliveries of ${ids.size} ids, expected ${total}`)
  const ascending = (values: number[]) => values.sort((a, b) => a - b)
  const after = samples.filter(([, emittedAt]) => emittedAt >= measuredFrom)
  const measured = ascending(after.map(([, emittedAt, arrivedAt]) => arrivedAt - emittedAt))
  return {
    p50: percentile(measured, 50),
    p99: percentile(measured, 99),
    max: measured.at(-1)!,
    p99All: percentile(ascending(samples.map(([, emittedAt, arrivedAt]) => arrivedAt - emittedAt)), 99),
    p99Outcome: percentile(ascending(after.map(([id, emittedAt]) => run.outcomeAt.get(id)! - emittedAt)), 99),
  }
}

async function main() {
  const receiver = await startReceiver()
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-bench-webhooks-'))
  const schemas: string[] = []
  let file = 0
  const sqlite = () => createSqliteStorage({ filename: join(dir, `bench-${file++}.db`), synchronous: SQLITE_SYNCHRONOUS })
  const stores: [string, () => Promise<StorageAdapter>][] = [
    ['memory', async () => createMemoryStorage()],
    ['sqlite', async () => sqlite()],
  ]
  if (PG_URL) {
    const postgres = async () => {
      const schema = `wafleet_bench_webhooks_${process.pid}_${schemas.length}`
      schemas.push(schema)
      const pool = new pg.Pool({ connectionString: PG_URL, max: PG_POOL })
      return createPostgresStorage({ pool, schema })
    }
    stores.push(['postgres', postgres])
  } else {
    console.log('Postgres skipped: set WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL')
  }
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`)
  console.log(`EVENTS=${EVENTS} ROUNDS=${ROUNDS} RATE=${RATE}/s LATENCY_SECONDS=${LATENCY_SECONDS} WARMUP_SECONDS=${WARMUP_SECONDS} CONCURRENCY=${CONCURRENCY} MAX_IN_FLIGHT=${process.env.MAX_IN_FLIGHT ?? 'default'} PG_POOL=${PG_POOL} SQLITE_SYNCHRONOUS=${SQLITE_SYNCHRONOUS} sessions=${SESSIONS}\n`)
  console.log(
    '| store | deliveries/s, median (min-max) | CPU µs per delivery: this process / receiver / postgres | p50 ms | p99 ms | max ms (event to receiver at RATE/s, after the warm-up) | p99 ms, warm-up included | p99 ms, event to ack |',
  )
  console.log('|---|---|---|---|---|---|---|---|')
  const only = process.env.STORES?.split(',')
  try {
    for (const [name, open] of stores.filter(([name]) => !only || only.includes(name))) {
      // Rounds, each on a fresh store: a 2-core machine shared with the receiver and the database
      // varies from run to run, so the median is reported with the range.
      const rounds: Throughput[] = []
      for (let round = 0; round < ROUNDS; round++) rounds.push(await throughput(open, receiver))
      const sorted = (pick: (r: Throughput) => number) => rounds.map(pick).sort((a, b) => a - b)
      const rates = sorted((r) => r.rate)
      const lat = LATENCY_SECONDS > 0 ? await latency(open, receiver) : null
      const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
      const median = (values: number[]) => fmt(values[Math.floor(values.length / 2)]!)
      const cpu = [sorted((r) => r.cpu.self), sorted((r) => r.cpu.receiver), name === 'postgres' ? sorted((r) => r.cpu.postgres) : null]
      console.log(
        `| ${name} | ${median(rates)} (${fmt(rates[0]!)}-${fmt(rates.at(-1)!)}) | ${cpu.map((values) => (values ? median(values) : '-')).join(' / ')} | ${lat ? `${lat.p50} | ${lat.p99} | ${lat.max} | ${lat.p99All} | ${lat.p99Outcome}` : '- | - | - | - | -'} |`,
      )
    }
  } finally {
    receiver.child.kill()
    rmSync(dir, { recursive: true, force: true })
    if (PG_URL && schemas.length) {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    }
  }
}

await main()
