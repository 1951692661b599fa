/**
 * npm run bench:density: real Baileys sessions through the SessionManager against the loopback
 * WhatsApp simulator, Postgres storage.
 *
 * The SDK never runs in this process, so that each figure is the SDK's alone:
 * - the simulator runs in a child (bench/density-simulator.ts) and plays every phone that scans;
 * - each batch of new sessions is paired in a fresh SDK process (bench/density-sdk.ts, `pair`):
 *   create, connect, QR, scan, 515, first login uploading 812 pre-keys to Postgres,
 *   BENCH_PAIR_CONCURRENCY at a time;
 * - then a fresh SDK process (`restore`) starts a new manager on the same schema: it restores
 *   every paired session (a process restart), and once they idle it measures RSS and heap per
 *   session against its own baseline before `start()`, then its CPU over an idle window, while
 *   this process samples the simulator's CPU over the same window.
 *
 * Steps: 200, then up to 1,000 (BENCH_STEPS, default 200,400,600,800,1000). Growth stops at the
 * first step that fails (a session that does not connect, a crashed process) or that would not fit
 * in the available memory. Targets (issue 6): <= 3 MB RSS per idle connected session; 1,000
 * sessions restored in < 60 s.
 *
 * Needs WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL; works in a throwaway schema, dropped at the end.
 * Other knobs: BENCH_RESTORE_CONCURRENCY (default 5, the manager's default), BENCH_SETTLE_SECONDS
 * (15), BENCH_IDLE_SECONDS (60: two of Baileys' 30 s keep-alives per session).
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Memory, PairJob, ParentMessage, RestoreJob, RestoreResult, SdkMessage } from './density-sdk.js'
import { startSimulatorProcess, type SimulatorProcess, type SimulatorUsage } from './density-simulator.js'

const STEPS = (process.env.BENCH_STEPS ?? '200,400,600,800,1000').split(',').map(Number)
const PAIR_CONCURRENCY = Number(process.env.BENCH_PAIR_CONCURRENCY ?? 10)
const RESTORE_CONCURRENCY = Number(process.env.BENCH_RESTORE_CONCURRENCY ?? 5)
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 15)
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60)
const PG_URL = process.env.WAFLEET_BENCH_PG_URL || process.env.WAFLEET_TEST_PG_URL
const MB = 1024 * 1024

const benchStarted = performance.now()
/** Progress on stderr (the results go to stdout), with the time since the start. */
const log = (message: string) => console.error(`[density +${Math.round((performance.now() - benchStarted) / 1000)} s] ${message}`)

/** MemAvailable from /proc/meminfo (what can be allocated without swapping), else os.totalmem(). */
function availableMemory(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))
    if (match) return Number(match[1]) * 1024
  } catch {
    // not Linux
  }
  return totalmem()
}

/**
 * Runs one job in a fresh SDK process: relays its scans to the simulator, hands every other
 * message to `onMessage`, resolves when it exits cleanly.
 */
async function runSdk(job: PairJob | RestoreJob, sim: SimulatorProcess, onMessage: (message: SdkMessage) => void): Promise<void> {
  const child = fork(fileURLToPath(new URL('./density-sdk.ts', import.meta.url)), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const reply = (message: ParentMessage) => {
    if (child.connected) child.send(message)
  }
  child.on('message', (message: SdkMessage) => {
    if (message.type !== 'scan') return onMessage(message)
    sim.scanQr(message.qr, message.phone).then(
      () => reply({ type: 'scanned', id: message.id }),
      (error: unknown) => reply({ type: 'scanned', id: message.id, error: error instanceof Error ? error.message : String(error) }),
    )
  })
  child.send(job satisfies ParentMessage)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the ${job.kind} process failed (exit ${code})`)
}

async function pairSessions(job: PairJob, sim: SimulatorProcess): Promise<{ ms: number; peakHeapUsed: number }> {
  let paired: { ms: number; peakHeapUsed: number } | undefined
  await runSdk(job, sim, (message) => {
    if (message.type === 'progress') log(`  ${message.done} of ${job.to - job.from} paired, heap ${Math.round(message.heapUsed / MB)} MB`)
    if (message.type === 'paired') paired = message
  })
  if (!paired) throw new Error('the pair process ended without a result')
  return paired
}

interface RestoreOutcome {
  result: RestoreResult
  simulatorIdle: { cpuMicros: number; rss: number; connections: number }
}

/** A fresh process restores all sessions and idles; the simulator's CPU is sampled over the same window. */
async function measureRestore(job: RestoreJob, sim: SimulatorProcess): Promise<RestoreOutcome> {
  let result: RestoreResult | undefined
  let windowStart: Promise<SimulatorUsage> | undefined
  let windowEnd: Promise<SimulatorUsage> | undefined
  await runSdk(job, sim, (message) => {
    if (message.type === 'idle-start') windowStart = sim.usage()
    else if (message.type === 'idle-end') windowEnd = sim.usage()
    else if (message.type === 'restored') result = message
  })
  if (!result || !windowStart || !windowEnd) throw new Error('the restore process ended without a result')
  const [start, end] = await Promise.all([windowStart, windowEnd])
  const cpuMicros = end.cpu.user + end.cpu.system - (start.cpu.user + start.cpu.system)
  return { result, simulatorIdle: { cpuMicros, rss: end.rss, connections: end.connections } }
}

interface Step {
  sessions: number
  pairing: { sessions: number; ms: number; perSecond: number; peakHeapMB: number }
  restore: { ms: number; connected: number; byStatus: Record<string, number>; connectedAfterIdle: number }
  perSession: { rssMB: number; heapMB: number; externalMB: number }
  process: { baselineRssMB: number; idleRssMB: number; idleHeapMB: number }
  idleCpu: { percentOfOneCore: number; microsPerSessionPerSecond: number }
  simulator: { rssMB: number; idleCpuPercentOfOneCore: number }
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits

function toStep(sessions: number, pairing: Step['pairing'], outcome: RestoreOutcome): Step {
  const { result, simulatorIdle } = outcome
  const delta = (field: keyof Memory) => (result.idle[field] - result.baseline[field]) / sessions / MB
  const windowMicros = result.idleWindowMs * 1000
  return {
    sessions,
    pairing,
    restore: { ms: Math.round(result.restoreMs), connected: result.connected, byStatus: result.byStatus, connectedAfterIdle: result.connectedAfterIdle },
    perSession: { rssMB: round(delta('rss')), heapMB: round(delta('heapUsed')), externalMB: round(delta('external')) },
    process: { baselineRssMB: round(result.baseline.rss / MB, 0), idleRssMB: round(result.idle.rss / MB, 0), idleHeapMB: round(result.idle.heapUsed / MB, 0) },
    idleCpu: {
      percentOfOneCore: round((100 * result.idleCpuMicros) / windowMicros),
      microsPerSessionPerSecond: round(result.idleCpuMicros / sessions / (result.idleWindowMs / 1000), 1),
    },
    simulator: { rssMB: round(simulatorIdle.rss / MB, 0), idleCpuPercentOfOneCore: round((100 * simulatorIdle.cpuMicros) / windowMicros) },
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

async function main(): Promise<void> {
  if (!PG_URL) throw new Error('bench:density restores from Postgres: set WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL')
  const schema = `wafleet_bench_density_${process.pid}_${randomBytes(3).toString('hex')}`
  const sim = await startSimulatorProcess()
  const common = { url: PG_URL, schema, simulatorUrl: sim.url, rootPublicKey: sim.rootPublicKey.toString('base64') }
  const steps: Step[] = []
  let stopped: string | undefined
  let paired = 0
  try {
    for (const target of STEPS) {
      const last = steps.at(-1)
      if (last) {
        // The restore process holds every session, the simulator grows with them; keep 20% spare.
        const perSession = (last.process.idleRssMB * MB) / last.sessions + (last.simulator.rssMB * MB) / last.sessions
        const needed = perSession * target * 1.2
        if (needed > availableMemory()) {
          stopped = `${target} sessions would need about ${Math.round(needed / MB)} MB, ${Math.round(availableMemory() / MB)} MB available`
          break
        }
      }
      log(`pairing ${target - paired} sessions (${paired} -> ${target})`)
      let pairing: Step['pairing']
      try {
        const { ms, peakHeapUsed } = await pairSessions({ kind: 'pair', ...common, from: paired, to: target, concurrency: PAIR_CONCURRENCY }, sim)
        pairing = { sessions: target - paired, ms: Math.round(ms), perSecond: round(((target - paired) * 1000) / ms, 1), peakHeapMB: Math.round(peakHeapUsed / MB) }
      } catch (error) {
        stopped = `pairing towards ${target} failed: ${error instanceof Error ? error.message : String(error)}`
        break
      }
      paired = target
      log(`restoring ${target} sessions in a fresh process, then ${SETTLE_SECONDS} s settle and ${IDLE_SECONDS} s idle`)
      let outcome: RestoreOutcome
      try {
        outcome = await measureRestore(
          {
            kind: 'restore',
            ...common,
            sessions: target,
            restoreConcurrency: RESTORE_CONCURRENCY,
            settleSeconds: SETTLE_SECONDS,
            idleSeconds: IDLE_SECONDS,
            timeoutSeconds: 300,
          },
          sim,
        )
      } catch (error) {
        stopped = `restore of ${target} failed: ${error instanceof Error ? error.message : String(error)}`
        break
      }
      const step = toStep(target, pairing, outcome)
      steps.push(step)
      log(JSON.stringify(step))
      if (step.restore.connected < target || step.restore.connectedAfterIdle < target) {
        stopped = `only ${step.restore.connected} of ${target} connected after restore (${step.restore.connectedAfterIdle} after idle)`
        break
      }
    }
  } finally {
    log('cleaning up')
    await sim.close()
    await dropSchema(PG_URL, schema)
  }

  const largest = steps.filter((step) => step.restore.connected === step.sessions).at(-1)
  const restore1000 = steps.find((step) => step.sessions === 1000)
  const results = {
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg: loadavg().map((load) => round(load)) },
    settings: { steps: STEPS, pairConcurrency: PAIR_CONCURRENCY, restoreConcurrency: RESTORE_CONCURRENCY, settleSeconds: SETTLE_SECONDS, idleSeconds: IDLE_SECONDS },
    largestN: largest?.sessions ?? 0,
    stoppedBecause: stopped ?? null,
    steps,
    targets: {
      rssPerIdleSession: largest ? (largest.perSession.rssMB <= 3 ? 'met' : 'MISSED') : 'not measured',
      restore1000Under60s: restore1000 ? (restore1000.restore.ms < 60_000 && restore1000.restore.connected === 1000 ? 'met' : 'MISSED') : 'not reached',
    },
  }
  console.log(JSON.stringify(results, null, 2))
}

await main()
