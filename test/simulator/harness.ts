// Shared setup for the simulator tests: a trusted simulator per test and real Baileys sockets on it.
import makeWASocket, { type BaileysEventMap, type ConnectionState, type UserFacingSocketConfig, type WASocket } from '@whiskeysockets/baileys'
import { pino } from 'pino'
import { afterEach } from 'vitest'
import { createMemoryStorage, useStorageAuthState, type StorageAdapter, type StorageAuthState } from '../../src/index.js'
import { startWhatsAppSimulator, type WhatsAppSimulator } from '../../src/testing/index.js'

/** `SIM_LOG=debug npx vitest run test/simulator` shows both sides of the wire. */
export const logger = pino({ level: process.env.SIM_LOG ?? 'silent' })

export interface Closed {
  code: number | undefined
  message: string | undefined
}

export interface Client {
  sock: WASocket
  auth: StorageAuthState
  updates: Partial<ConnectionState>[]
  upserts: BaileysEventMap['messages.upsert'][]
  messageUpdates: BaileysEventMap['messages.update']
  /** The first QR the socket shows. */
  qr: Promise<string>
  /** Resolves on `connection: 'open'`, rejects with the close if it comes first. */
  opened: Promise<void>
  closed: Promise<Closed>
}

/** A simulator trusted by this process' Baileys, closed (and untrusted) after each test. */
export function simulatorPerTest(options: Parameters<typeof startWhatsAppSimulator>[0] = {}): () => Promise<WhatsAppSimulator> {
  const open: WhatsAppSimulator[] = []
  afterEach(async () => {
    for (const sim of open.splice(0)) await sim.close()
  })
  return async () => {
    const sim = await startWhatsAppSimulator({ logger: logger.child({ side: 'simulator' }), ...options })
    sim.trust()
    open.push(sim)
    return sim
  }
}

const sockets = new Set<WASocket>()
afterEach(async () => {
  for (const sock of [...sockets]) await sock.end(undefined)
  sockets.clear()
})

/** A real Baileys socket on the simulator, with its events recorded. */
export function connect(sim: WhatsAppSimulator, auth: StorageAuthState, config: Partial<UserFacingSocketConfig> = {}): Client {
  const sock = makeWASocket({
    auth: auth.state,
    waWebSocketUrl: sim.url,
    logger: logger.child({ side: 'baileys' }) as unknown as UserFacingSocketConfig['logger'],
    ...config,
  })
  sockets.add(sock)
  const client: Omit<Client, 'qr' | 'opened' | 'closed'> = { sock, auth, updates: [], upserts: [], messageUpdates: [] }
  sock.ev.on('creds.update', () => void auth.saveCreds())
  sock.ev.on('connection.update', (update) => client.updates.push(update))
  sock.ev.on('messages.upsert', (upsert) => client.upserts.push(upsert))
  sock.ev.on('messages.update', (updates) => client.messageUpdates.push(...updates))
  const closed = new Promise<Closed>((resolve) =>
    sock.ev.on('connection.update', ({ connection, lastDisconnect }) => {
      if (connection !== 'close') return
      sockets.delete(sock)
      const error = lastDisconnect?.error as (Error & { output?: { statusCode?: number } }) | undefined
      resolve({ code: error?.output?.statusCode, message: error?.message })
    }),
  )
  const opened = new Promise<void>((resolve, reject) => {
    sock.ev.on('connection.update', ({ connection }) => connection === 'open' && resolve())
    void closed.then((close) => reject(new Error(`closed before open: ${close.code} ${close.message}`)))
  })
  opened.catch(() => undefined)
  const qr = new Promise<string>((resolve) => sock.ev.on('connection.update', (update) => update.qr && resolve(update.qr)))
  return { ...client, qr, opened, closed }
}

export async function freshAuth(storage: StorageAdapter = createMemoryStorage(), id = 'device'): Promise<StorageAuthState> {
  return useStorageAuthState(storage, id)
}

/**
 * Pairs new credentials by QR and waits for the 515 that follows. Returns the storage with the
 * paired credentials saved, as an app would have them after pairing.
 */
export async function pairByQr(sim: WhatsAppSimulator, phone: string): Promise<{ storage: StorageAdapter; auth: StorageAuthState }> {
  const storage = createMemoryStorage()
  const auth = await freshAuth(storage)
  const client = connect(sim, auth)
  await sim.scanQr(await client.qr, { phone })
  await client.closed
  await auth.saveCreds()
  return { storage, auth }
}

/** A paired device, logged in and open. */
export async function openPaired(sim: WhatsAppSimulator, phone: string, config: Partial<UserFacingSocketConfig> = {}): Promise<Client> {
  const { auth } = await pairByQr(sim, phone)
  const client = connect(sim, auth, config)
  await client.opened
  return client
}

/** Resolves with the first value `probe` returns (checked every 10 ms), or rejects after `timeoutMs`. */
export async function until<T>(probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export function textOf(upsert: BaileysEventMap['messages.upsert']): (string | null | undefined)[] {
  return upsert.messages.map((message) => message.message?.conversation ?? message.message?.extendedTextMessage?.text)
}
