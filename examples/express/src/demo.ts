import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { Agent as HttpsAgent } from 'node:https'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { jidDecode } from '@whiskeysockets/baileys'
import { Agent as UndiciAgent } from 'undici'
import { ValidationError, type Logger, type ManagerEnvelope, type Session, type SessionManager, type SessionManagerOptions } from 'wafleet'
import { startWhatsAppSimulator, type SimulatorSnapshot, type WhatsAppSimulator } from 'wafleet/testing'
import { ApiError } from './http/errors.js'

/**
 * Simulated WhatsApp for the offline demo, in one place so that the routes and the panel do not
 * care what plays WhatsApp. What the gateway needs: how sessions reach it, a way to play the
 * phone's scan, and contacts that answer.
 */
export interface DemoWorld {
  /** Merged into the SessionManager's options: how sessions reach the simulated WhatsApp. */
  managerOptions: Pick<SessionManagerOptions, 'socketFactory' | 'baileys'>
  /** Plays the phone scanning the session's QR (or typing its pairing code); resolves with the phone number used. */
  scan(session: Session, phoneNumber?: string): Promise<string>
  /** Starts the simulated contacts: they answer every text a session sends them. Returns a stop function. */
  attach(manager: SessionManager): () => void
  /** Saves the simulated network and stops the simulator. */
  close(): Promise<void>
}

export interface DemoOptions {
  /** Where the simulated network is saved between runs (`demo-whatsapp.json`), so linked sessions come back. @default not saved */
  dataDir?: string
  /** The simulator's logger (its trust warning, protocol traces at debug). */
  logger?: Logger
  /** Delay before a contact answers, like a person typing. @default 400 */
  replyDelayMs?: number
}

const DEMO_CONTACTS = [
  { phone: '5511900000001', name: 'Ana (demo)' },
  { phone: '5511900000002', name: 'Bruno (demo)' },
  { phone: '5511900000003', name: 'Carla (demo)' },
]
/** What the demo phone has and syncs to a new session in its first history: the contacts' chats and a group. */
const DEMO_HISTORY = {
  chats: [...DEMO_CONTACTS.map(({ phone, name }) => ({ jid: phone, name })), { jid: '120363000000000001@g.us', name: 'Demo group' }],
}
const STATE_FILE = 'demo-whatsapp.json'

/** The previous run's network, if it was saved; a damaged file is set aside and the demo starts afresh. */
async function loadSnapshot(file: string | undefined, logger: Logger | undefined): Promise<SimulatorSnapshot | undefined> {
  if (!file || !existsSync(file)) return undefined
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SimulatorSnapshot
  } catch (error) {
    logger?.warn({ err: error, file }, 'demo: the saved simulated WhatsApp is unreadable; starting a new one')
    await rename(file, `${file}.damaged`).catch(() => undefined)
    return undefined
  }
}

/**
 * The demo on the loopback WhatsApp simulator of `wafleet/testing`: sessions run the real Baileys
 * socket against it (pairing, Signal-encrypted messages, media uploads over HTTPS), only the
 * other side is simulated.
 */
export async function createDemoWorld(options: DemoOptions = {}): Promise<DemoWorld> {
  const { logger, replyDelayMs = 400 } = options
  const file = options.dataDir ? join(options.dataDir, STATE_FILE) : undefined
  const restore = await loadSnapshot(file, logger)
  let sim: WhatsAppSimulator
  try {
    sim = await startWhatsAppSimulator({ ...(logger ? { logger } : {}), ...(restore ? { restore } : {}) })
  } catch (error) {
    if (!restore || (error as { code?: string }).code !== 'INVALID_CONFIG') throw error
    logger?.warn({ err: error, file }, 'demo: the saved simulated WhatsApp cannot be restored; starting a new one')
    sim = await startWhatsAppSimulator(logger ? { logger } : {})
  }
  // Baileys must accept the simulator as WhatsApp: in this process only, with a warning in the log.
  sim.trust()
  const contacts = DEMO_CONTACTS.map(({ phone, name }) => sim.contact(phone, { pushName: name }))
  // The media host's certificate is self-signed: trusted next to the usual CAs, so media by URL from the web still works.
  const ca = [...rootCertificates, sim.certificate]
  const fetchAgent = new HttpsAgent({ ca, keepAlive: true })
  const dispatcher = new UndiciAgent({ connect: { ca } })

  let saving = Promise.resolve()
  /** Writes the network atomically (private keys of simulated phones: readable by the owner only). */
  const save = () =>
    (saving = saving.then(async () => {
      if (!file) return
      try {
        const snapshot = JSON.stringify(await sim.snapshot())
        await mkdir(options.dataDir!, { recursive: true })
        const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`
        await writeFile(temporary, snapshot, { mode: 0o600 })
        await rename(temporary, file)
      } catch (error) {
        logger?.warn({ err: error, file }, 'demo: could not save the simulated WhatsApp; linked sessions will need a new scan after a restart')
      }
    }))

  /** Pairing codes the sessions asked for, by session, to be "typed on the phone" by scan(). */
  const pairingCodes = new Map<string, { code: string; phoneNumber: string }>()
  const linkedPhones = () => new Set(sim.devices().map((device) => device.phone))
  let nextPhone = 1
  const freePhone = () => {
    const taken = linkedPhones()
    let phone: string
    do phone = `55119${String(8_000_000 + nextPhone++).padStart(8, '0')}`
    while (taken.has(phone))
    return phone
  }

  return {
    managerOptions: {
      baileys: {
        waWebSocketUrl: sim.url,
        // Media uploads go through https.request with this agent, downloads through fetch with this dispatcher.
        fetchAgent,
        options: { dispatcher } as unknown as RequestInit,
      },
    },
    async scan(session, phoneNumber) {
      const pairing = session.status === 'pairing' ? pairingCodes.get(session.id) : undefined
      if (pairing) {
        // The code belongs to the number it was requested for: only that phone can type it.
        if (phoneNumber && phoneNumber !== pairing.phoneNumber) {
          throw new ValidationError('INVALID_PHONE', `The pairing code was requested for ${pairing.phoneNumber}`, { details: { field: 'phoneNumber' } })
        }
        await sim.enterPairingCode(pairing.code, { phone: pairing.phoneNumber, history: DEMO_HISTORY })
        pairingCodes.delete(session.id)
        void save()
        return pairing.phoneNumber
      }
      const qr = session.qr?.value
      if (!qr) throw new ApiError(409, 'QR_NOT_AVAILABLE', `Session ${session.id} shows no QR to scan (status: ${session.status})`)
      const phone = phoneNumber ?? freePhone()
      await sim.scanQr(qr, { phone, history: DEMO_HISTORY })
      void save()
      return phone
    },
    attach(manager) {
      const timers = new Set<NodeJS.Timeout>()
      const onPairingCode = ({ sessionId, data }: ManagerEnvelope<'session.pairing_code'>) => pairingCodes.set(sessionId, data)
      manager.on('session.pairing_code', onPairingCode)
      // Each contact's simulated phone decrypted the text; it answers the number that wrote.
      const stops = contacts.map((contact) =>
        contact.onMessage((message) => {
          const from = jidDecode(message.from)?.user
          if (message.text === undefined || !from) return
          const timer = setTimeout(() => {
            timers.delete(timer)
            contact.sendText(from, `You said: "${message.text}"`).catch((error: unknown) => logger?.warn({ err: error }, 'demo: a contact could not answer'))
          }, replyDelayMs)
          timers.add(timer)
        }),
      )
      return () => {
        manager.off('session.pairing_code', onPairingCode)
        for (const stop of stops) stop()
        for (const timer of timers) clearTimeout(timer)
      }
    },
    async close() {
      await save()
      await sim.close()
      fetchAgent.destroy()
      await dispatcher.close()
    },
  }
}
