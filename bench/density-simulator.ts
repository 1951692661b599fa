/**
 * The WhatsApp simulator in a child process, for bench:density. The simulator holds every device's
 * pre-keys, Signal state and one server-side WebSocket per session: in the bench's own process it
 * would count as the SDK's memory and CPU. Here the SDK process only has its own.
 *
 * The parent talks to it over IPC: scan a QR (the simulated phone links the device), read its
 * counters and resource usage, close it.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface SimulatorUsage {
  devices: number
  connectedDevices: number
  connections: number
  rss: number
  cpu: NodeJS.CpuUsage
}

export interface SimulatorProcess {
  url: string
  rootPublicKey: Buffer
  scanQr(qr: string, phone: string): Promise<void>
  usage(): Promise<SimulatorUsage>
  close(): Promise<void>
}

type Call = { method: 'scanQr'; qr: string; phone: string } | { method: 'usage' } | { method: 'close' }
type Request = Call & { id: number }
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }
type Ready = { ready: true; url: string; rootPublicKey: string }

/** Forks the simulator; resolves once it listens. */
export async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--simulator-child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let nextId = 1
  let exited = false
  child.on('exit', (code, signal) => {
    exited = true
    for (const { reject } of pending.values()) reject(new Error(`simulator process exited (${code ?? signal})`))
    pending.clear()
  })
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator process exited before listening (${code})`)))
    child.on('message', (message: Ready | Reply) => {
      if ('ready' in message) return resolve(message)
      const waiter = pending.get(message.id)
      if (!waiter) return
      pending.delete(message.id)
      if (message.ok) waiter.resolve(message.value)
      else waiter.reject(new Error(message.error))
    })
  })
  const call = <T>(request: Call): Promise<T> => {
    if (exited) return Promise.reject(new Error('simulator process is gone'))
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      child.send({ ...request, id })
    })
  }
  return {
    url: ready.url,
    rootPublicKey: Buffer.from(ready.rootPublicKey, 'base64'),
    scanQr: (qr, phone) => call({ method: 'scanQr', qr, phone }),
    usage: () => call({ method: 'usage' }),
    close: async () => {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      await call({ method: 'close' }).catch(() => undefined)
      await gone
    },
  }
}

async function runChild(): Promise<void> {
  // Imported here only: the parent process must not load (or pay for) the simulator.
  const { createSilentLogger } = await import('../src/index.js')
  const { startWhatsAppSimulator } = await import('../src/testing/index.js')
  const sim = await startWhatsAppSimulator({ logger: createSilentLogger() })
  const send = (message: Ready | Reply) => process.send!(message)
  process.on('message', (request: Request) => {
    const answer = async (): Promise<unknown> => {
      switch (request.method) {
        case 'scanQr':
          await sim.scanQr(request.qr, { phone: request.phone })
          return null
        case 'usage': {
          const devices = sim.devices()
          return {
            devices: devices.length,
            connectedDevices: devices.filter((device) => device.connected).length,
            connections: sim.connectionCount(),
            rss: process.memoryUsage().rss,
            cpu: process.cpuUsage(),
          } satisfies SimulatorUsage
        }
        case 'close':
          await sim.close()
          setImmediate(() => process.exit(0))
          return null
      }
    }
    answer().then(
      (value) => send({ id: request.id, ok: true, value }),
      (error: unknown) => send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
  })
  // The parent died without closing us: do not linger as an orphan holding the port.
  process.on('disconnect', () => process.exit(0))
  send({ ready: true, url: sim.url, rootPublicKey: sim.rootPublicKey.toString('base64') })
}

if (process.argv.includes('--simulator-child')) await runChild()
