import type { ManagerEnvelope, Session, SessionManager, SessionManagerOptions } from 'wafleet'
import { createMockSocketFactory } from 'wafleet/testing'

/**
 * Simulated WhatsApp for the offline demo, in one place so the backend can change (to the loopback
 * simulator of `wafleet/testing`) without touching the routes or the panel. What the gateway needs:
 * a socket factory, a way to play the phone's scan, and contacts that answer.
 */
export interface DemoWorld {
  /** Merged into the SessionManager's options: how sessions reach the simulated WhatsApp. */
  managerOptions: Pick<SessionManagerOptions, 'socketFactory' | 'baileys'>
  /** Plays the phone scanning the session's QR (or confirming its pairing code); resolves with the phone number used. */
  scan(session: Session, phoneNumber?: string): Promise<string>
  /** Starts the simulated contacts: they answer every text a session sends them. Returns a stop function. */
  attach(manager: SessionManager): () => void
  /** Releases what the world holds (a simulator server, for one). */
  close(): Promise<void>
}

export interface DemoOptions {
  /** Delay before a contact answers, like a person typing. @default 400 */
  replyDelayMs?: number
}

const DEMO_CONTACTS = [
  { id: '5511900000001@s.whatsapp.net', name: 'Ana (demo)' },
  { id: '5511900000002@s.whatsapp.net', name: 'Bruno (demo)' },
  { id: '5511900000003@s.whatsapp.net', name: 'Carla (demo)' },
]
const DEMO_GROUP = { id: '120363000000000001@g.us', subject: 'Demo group' }

const textOf = (message: { conversation?: string | null; extendedTextMessage?: { text?: string | null } | null } | null | undefined) =>
  message?.conversation ?? message?.extendedTextMessage?.text ?? null

/** The demo on the mock socket: instant, in-process, no Baileys protocol involved. */
export function createDemoWorld(options: DemoOptions = {}): DemoWorld {
  const replyDelayMs = options.replyDelayMs ?? 400
  const mock = createMockSocketFactory()
  const phones = new Map<string, string>()
  let nextPhone = 1

  return {
    managerOptions: { socketFactory: mock.factory },
    async scan(session, phoneNumber) {
      const phone = phoneNumber ?? phones.get(session.id) ?? `55119${String(8_000_000 + nextPhone++).padStart(8, '0')}`
      phones.set(session.id, phone)
      mock.scan(session.id, { phoneNumber: phone })
      return phone
    },
    close: async () => undefined,
    attach(manager) {
      const timers = new Set<NodeJS.Timeout>()
      const later = (fn: () => void) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          fn()
        }, replyDelayMs)
        timers.add(timer)
      }
      // A freshly linked phone syncs its address book and chats: give the cards something to count.
      // Only after a new login: a restored session already counted them.
      const newLogins = new Set<string>()
      const onLogin = ({ sessionId, data }: ManagerEnvelope<'connection.update'>) => {
        if (data.isNewLogin) newLogins.add(sessionId)
      }
      const onStatus = ({ sessionId, data }: ManagerEnvelope<'session.status'>) => {
        if (data.status !== 'connected' || !newLogins.delete(sessionId)) return
        setImmediate(() =>
          mock.socket(sessionId)?.emit('messaging-history.set', {
            contacts: DEMO_CONTACTS.map(({ id, name }) => ({ id, name })),
            chats: [...DEMO_CONTACTS.map(({ id }) => ({ id })), { id: DEMO_GROUP.id, name: DEMO_GROUP.subject }],
            messages: [],
            isLatest: true,
            syncType: null,
          }),
        )
      }
      // Whatever a session sends to a person, that person answers (texts only; groups stay quiet).
      const onUpsert = ({ sessionId, data }: ManagerEnvelope<'messages.upsert'>) => {
        if (data.type !== 'append') return
        for (const message of data.messages) {
          const to = message.key.remoteJid
          const text = textOf(message.message)
          if (!message.key.fromMe || !to?.endsWith('@s.whatsapp.net') || text === null) continue
          const contact = DEMO_CONTACTS.find((candidate) => candidate.id === to)
          later(() => {
            if (!mock.socket(sessionId)) return // disconnected meanwhile
            mock.receiveText(sessionId, { from: to, text: `You said: "${text}"`, pushName: contact?.name ?? 'Demo contact' })
          })
        }
      }
      manager.on('connection.update', onLogin)
      manager.on('session.status', onStatus)
      manager.on('messages.upsert', onUpsert)
      return () => {
        manager.off('connection.update', onLogin)
        manager.off('session.status', onStatus)
        manager.off('messages.upsert', onUpsert)
        for (const timer of timers) clearTimeout(timer)
      }
    },
  }
}
