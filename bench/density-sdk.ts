/**
 * The SDK side of bench:density, always in a fresh process (forked by density.bench.ts with IPC,
 * not run by hand). Two jobs:
 *
 * - `pair`: a manager that restores nothing pairs sessions [from, to) by QR, `concurrency` at a
 *   time; the simulated phone's scan is relayed through the parent, which owns the simulator.
 * - `restore`: a new manager on the same schema restores every paired session (a process
 *   restart), then idles: RSS and heap against this process' baseline before `start()`, then
 *   its CPU over an idle window.
 *
 * Why fresh processes: Baileys rc14 enables one AsyncLocalStorage per socket and never disables it
 * (`addTransactionCapability`, WhiskeySockets/Baileys#2806). On Node < 24 every enabled instance
 * stamps a property on every async resource created afterwards, so a process that has built
 * sockets for 400 pairings (800 sockets: pairing, then login) runs out of a 4 GB heap. A restore
 * process builds one socket per session: what it measures is what a real restart costs.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { SessionManager, createSilentLogger, type RestoreOptions, type StorageAdapter } from '../src/index.js'
import { createPostgresStorage } from '../src/storage/postgres/index.js'
import { installSimulatorTrust } from '../src/testing/index.js'

interface CommonJob {
  url: string
  schema: string
  simulatorUrl: string
  rootPublicKey: string
}

export interface PairJob extends CommonJob {
  kind: 'pair'
  from: number
  to: number
  concurrency: number
}

export interface RestoreJob extends CommonJob {
  kind: 'restore'
  sessions: number
  restoreConcurrency: number
  settleSeconds: number
  idleSeconds: number
  timeoutSeconds: number
}

export interface Memory {
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
}

export interface RestoreResult {
  type: 'restored'
  restoreMs: number
  connected: number
  byStatus: Record<string, number>
  baseline: Memory
  idle: Memory
  /** CPU time of this process over the idle window, microseconds. */
  idleCpuMicros: number
  idleWindowMs: number
  /** Sessions connected at the end of the idle window (none may drop while idle). */
  connectedAfterIdle: number
}

/** Child to parent. */
export type SdkMessage =
  | { type: 'scan'; id: number; qr: string; phone: string }
  | { type: 'progress'; done: number; heapUsed: number }
  | { type: 'paired'; ms: number; peakHeapUsed: number }
  | { type: 'idle-start' }
  | { type: 'idle-end' }
  | RestoreResult

/** Parent to child: the job, then the answers to scans. */
export type ParentMessage = PairJob | RestoreJob | { type: 'scanned'; id: number; error?: string }

export const phoneOf = (index: number) => `55119${String(index).padStart(8, '0')}`

const send = (message: SdkMessage) => process.send!(message)

function memory(): Memory {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with node --expose-gc')
  // Twice: the first pass can leave objects with finalizers for the second.
  gc()
  gc()
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, external, arrayBuffers }
}

function openManager(job: CommonJob, storage: StorageAdapter, restore: RestoreOptions) {
  const logger = createSilentLogger()
  installSimulatorTrust(Buffer.from(job.rootPublicKey, 'base64'), { logger })
  return new SessionManager({ storage, logger, baileys: { waWebSocketUrl: job.simulatorUrl }, restore })
}

const scans = new Map<number, { resolve: () => void; reject: (error: Error) => void }>()
let nextScan = 1

/** The parent's simulated phone scans the QR. */
function scan(qr: string, phone: string): Promise<void> {
  const id = nextScan++
  return new Promise((resolve, reject) => {
    scans.set(id, { resolve, reject })
    send({ type: 'scan', id, qr, phone })
  })
}

async function pair(job: PairJob, storage: StorageAdapter): Promise<void> {
  const manager = openManager(job, storage, { enabled: false })
  await manager.start()
  const started = performance.now()
  let next = job.from
  let done = 0
  let peakHeapUsed = 0
  const progress = setInterval(() => {
    const { heapUsed } = process.memoryUsage()
    peakHeapUsed = Math.max(peakHeapUsed, heapUsed)
    send({ type: 'progress', done, heapUsed })
  }, 10_000)
  const worker = async () => {
    while (next < job.to) {
      const index = next++
      const session = await manager.create({ name: `density-${index}` })
      await session.connect()
      await session.waitFor('qr', 60_000)
      await scan(session.qr!.value, phoneOf(index))
      await session.waitFor('connected', 60_000)
      done++
    }
  }
  try {
    await Promise.all(Array.from({ length: job.concurrency }, worker))
    send({ type: 'paired', ms: performance.now() - started, peakHeapUsed })
  } finally {
    clearInterval(progress)
    // The intents stay "running": the restore process finds every paired session.
    await manager.stop()
  }
}

async function restore(job: RestoreJob, storage: StorageAdapter): Promise<void> {
  const manager = openManager(job, storage, { concurrency: job.restoreConcurrency, timeoutMs: 60_000 })
  const connectedCount = () => manager.health().then((health) => health.sessions.byStatus.connected)
  const baseline = memory()

  const started = performance.now()
  await manager.start()
  const deadline = Date.now() + job.timeoutSeconds * 1000
  while ((await connectedCount()) < job.sessions && Date.now() < deadline) await sleep(50)
  const restoreMs = performance.now() - started
  const health = await manager.health()

  // Let the traffic of the logins end (presence, app state, pre-key checks) before measuring idle.
  await sleep(job.settleSeconds * 1000)
  const idle = memory()
  send({ type: 'idle-start' })
  const cpuBefore = process.cpuUsage()
  const windowStart = performance.now()
  await sleep(job.idleSeconds * 1000)
  const cpu = process.cpuUsage(cpuBefore)
  const idleWindowMs = performance.now() - windowStart
  send({ type: 'idle-end' })
  const connectedAfterIdle = await connectedCount()

  send({
    type: 'restored',
    restoreMs,
    connected: health.sessions.byStatus.connected,
    byStatus: Object.fromEntries(Object.entries(health.sessions.byStatus).filter(([, count]) => count > 0)),
    baseline,
    idle,
    idleCpuMicros: cpu.user + cpu.system,
    idleWindowMs,
    connectedAfterIdle,
  })
  await manager.stop()
}

async function run(job: PairJob | RestoreJob): Promise<void> {
  const storage = createPostgresStorage({ connectionString: job.url, schema: job.schema, maxConnections: 10 })
  await storage.init()
  try {
    if (job.kind === 'pair') await pair(job, storage)
    else await restore(job, storage)
  } finally {
    await storage.close()
  }
}

if (process.send) {
  process.on('message', (message: ParentMessage) => {
    if ('kind' in message) {
      run(message).then(
        // Baileys rc14 arms a 30 s timeout for every pre-key upload and never clears it
        // (Socket/socket.js, uploadPreKeys): without an explicit exit a pairing process lingers 30 s.
        () => process.exit(0),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
      return
    }
    const waiter = scans.get(message.id)
    scans.delete(message.id)
    if (message.error) waiter?.reject(new Error(message.error))
    else waiter?.resolve()
  })
}
