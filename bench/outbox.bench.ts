/**
 * npm run bench:outbox: the Postgres outbox alone, as the webhooks worker drives it: one loop
 * enqueues ROWS rows in batches of BATCH, another claims and acks them (ackMany) in batches of
 * BATCH, in one process, with no HTTP. Reports rows/s, the server CPU per row (all postgres
 * processes, from /proc; so run it alone on the machine), the time spent in claims, and one empty
 * claim after the run (what every claim costs once the due index is full of delivered rows).
 *
 * Variants, each on a fresh schema, alternated ROUNDS times in one run:
 *   shipped          the adapter's schema as migrated
 *   fillfactor 100   the same with the outbox's fillfactor put back to the default
 *   planner's choice the same with outbox_due's planner settings removed, so the planner picks the
 *                    scan as it did for the claim query before schema version 4
 *
 * BACKLOG rows are enqueued first, due in a day: pending rows that wait in the due index all along,
 * as a backlog does behind a receiver that is down (the acks of the run must not pay for them).
 *
 * Env: WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL, ROWS (20000), BATCH (35), ROUNDS (3), BACKLOG (0).
 */
import { cpus } from 'node:os'
import pg from 'pg'
import { createPostgresStorage } from '../src/storage/postgres/index.js'
import { postgresTicks, TICK_US } from './proc-cpu.js'

const PG_URL = process.env.WAFLEET_BENCH_PG_URL ?? process.env.WAFLEET_TEST_PG_URL
if (!PG_URL) throw new Error('set WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL')
const ROWS = Number(process.env.ROWS ?? 20_000)
const BATCH = Number(process.env.BATCH ?? 35)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const BACKLOG = Number(process.env.BACKLOG ?? 0)

interface Variant {
  name: string
  prepare(pool: pg.Pool, schema: string): Promise<void>
}

const variants: Variant[] = [
  { name: 'shipped', prepare: async () => undefined },
  { name: 'fillfactor 100', prepare: (pool, schema) => pool.query(`ALTER TABLE "${schema}".outbox SET (fillfactor = 100)`).then(() => undefined) },
  {
    name: "planner's choice",
    prepare: (pool, schema) =>
      pool.query(`ALTER FUNCTION "${schema}".outbox_due(bigint, integer) RESET enable_bitmapscan; ALTER FUNCTION "${schema}".outbox_due(bigint, integer) RESET enable_seqscan`).then(() => undefined),
  },
]

async function run(variant: Variant, round: number) {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10 })
  const schema = `wafleet_bench_outbox_${process.pid}_${round}`
  const storage = createPostgresStorage({ pool, schema })
  await storage.init()
  await variant.prepare(pool, schema)
  const outbox = storage.outbox!
  const payload = Buffer.alloc(600, 1)
  const later = Date.now() + 86_400_000
  for (let i = 0; i < BACKLOG; i += 500) {
    const n = Math.min(500, BACKLOG - i)
    await outbox.enqueue(Array.from({ length: n }, (_, j) => ({ id: `b${i + j}`, sessionId: null, target: 'g:bench', event: 'messages.upsert', payload, availableAt: later })))
  }
  let claimMs = 0
  let ackMs = 0
  let done = 0
  const ticks = postgresTicks()
  const started = performance.now()
  await Promise.all([
    (async () => {
      for (let i = 0; i < ROWS; i += BATCH) {
        const n = Math.min(BATCH, ROWS - i)
        await outbox.enqueue(Array.from({ length: n }, (_, j) => ({ id: `r${i + j}`, sessionId: null, target: 'g:bench', event: 'messages.upsert', payload })))
      }
    })(),
    (async () => {
      while (done < ROWS) {
        const t = performance.now()
        const items = await outbox.claim('bench', BATCH, 60_000)
        claimMs += performance.now() - t
        if (!items.length) {
          await new Promise((resolve) => setTimeout(resolve, 1))
          continue
        }
        const a = performance.now()
        await outbox.ackMany!(items.map((item) => item.id), 'bench')
        ackMs += performance.now() - a
        done += items.length
      }
    })(),
  ])
  const seconds = (performance.now() - started) / 1000
  const serverUs = ((postgresTicks() - ticks) * TICK_US) / ROWS
  const t = performance.now()
  await outbox.claim('bench', BATCH, 60_000)
  const emptyClaimMs = performance.now() - t
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`)
  await pool.end()
  return { rowsPerSecond: ROWS / seconds, serverUs, claimSeconds: claimMs / 1000, ackSeconds: ackMs / 1000, emptyClaimMs }
}

console.log(`${cpus().length} x ${cpus()[0]?.model.trim()}, Node ${process.version}; ROWS=${ROWS} BATCH=${BATCH} ROUNDS=${ROUNDS} BACKLOG=${BACKLOG}\n`)
console.log('| variant | round | rows/s | postgres CPU per row | time in claims | time in acks | empty claim after the run |')
console.log('|---|---|---|---|---|---|---|')
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of variants) {
    const r = await run(variant, round)
    console.log(`| ${variant.name} | ${round + 1} | ${Math.round(r.rowsPerSecond)} | ${r.serverUs.toFixed(0)} µs | ${r.claimSeconds.toFixed(2)} s | ${r.ackSeconds.toFixed(2)} s | ${r.emptyClaimMs.toFixed(2)} ms |`)
  }
}
