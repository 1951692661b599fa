import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type {
  AnyMessageContent,
  AuthenticationCreds,
  BaileysEventMap,
  Contact,
  MiscMessageGenerationOptions,
  WAMessage,
  proto,
} from '@whiskeysockets/baileys'
import type { SocketEvents, SocketFactory, SocketFactoryOptions, WASocketLike } from '../socket/types.js'

/** The error shape Baileys closes with (a Boom): `output.statusCode` carries the DisconnectReason. */
export class MockDisconnectError extends Error {
  readonly output: { statusCode: number; payload: { statusCode: number; error: string; message: string } }
  readonly isBoom = true

  constructor(message: string, statusCode: number) {
    super(message)
    this.name = 'MockDisconnectError'
    this.output = { statusCode, payload: { statusCode, error: message, message } }
  }
}

const DISCONNECT_MESSAGES: Record<number, string> = {
  401: 'Connection Failure',
  403: 'Connection Failure',
  405: 'Connection Failure',
  408: 'Connection was lost',
  411: 'Stream Errored (multidevice mismatch)',
  428: 'Connection Closed',
  440: 'Stream Errored (conflict)',
  500: 'Stream Errored (unknown)',
  503: 'Stream Errored (service unavailable)',
  515: 'Stream Errored (restart required)',
}

export interface SentMessage {
  jid: string
  content: AnyMessageContent
  options: MiscMessageGenerationOptions | undefined
  message: WAMessage
}

export interface MockSocketFactoryOptions {
  /**
   * How long each QR lives before the next one: the first for `firstQrMs`, the next ones for
   * `qrIntervalMs` (Baileys: 60 s then 20 s, or the socket's `qrTimeout`).
   */
  firstQrMs?: number
  qrIntervalMs?: number
  /** QRs per connection before the socket closes with 408 "QR refs attempts ended". @default 6 */
  maxQrs?: number
}

type Phase = 'connecting' | 'qr' | 'open' | 'closed'

class MockEvents implements SocketEvents {
  private readonly emitter = new EventEmitter()
  private readonly processors = new Set<(events: Partial<BaileysEventMap>) => void | Promise<void>>()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  process(handler: (events: Partial<BaileysEventMap>) => void | Promise<void>): () => void {
    this.processors.add(handler)
    return () => void this.processors.delete(handler)
  }
  on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void {
    this.emitter.on(event, listener)
  }
  off<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void {
    this.emitter.off(event, listener)
  }
  removeAllListeners<T extends keyof BaileysEventMap>(event?: T): void {
    if (event === undefined) this.emitter.removeAllListeners()
    else this.emitter.removeAllListeners(event)
  }
  /** Removes every listener and processor, as Baileys' `ev.destroy()` does on `end()`. */
  destroy(): void {
    this.emitter.removeAllListeners()
    this.processors.clear()
  }
  emit<T extends keyof BaileysEventMap>(event: T, data: BaileysEventMap[T]): void {
    for (const processor of [...this.processors]) void processor({ [event]: data })
    this.emitter.emit(event, data)
  }
  get listenerCount(): number {
    return this.processors.size + this.emitter.eventNames().reduce((n, name) => n + this.emitter.listenerCount(name), 0)
  }
}

const CROCKFORD = '123456789ABCDEFGHJKLMNPQRSTVWXYZ'
const pairingCode = () => Array.from(randomBytes(8), (byte) => CROCKFORD[byte % CROCKFORD.length]).join('')
const messageId = () => `3EB0${randomBytes(8).toString('hex').toUpperCase()}`
const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('base64')

/** A plausible `proto.IMessage` for what the SDK sent, enough for tests and the sent-message store. */
function toProtoMessage(content: AnyMessageContent): proto.IMessage {
  const c = content as Record<string, any>
  const size = (data: unknown) => (data instanceof Uint8Array ? data.length : 0)
  if (c.edit) return { protocolMessage: { key: c.edit, type: 14, editedMessage: { conversation: c.text } } }
  if (c.delete) return { protocolMessage: { key: c.delete, type: 0 } }
  if (c.react) return { reactionMessage: { key: c.react.key, text: c.react.text } }
  if (typeof c.text === 'string') return { extendedTextMessage: { text: c.text } }
  if (c.image) return { imageMessage: { mimetype: c.mimetype, caption: c.caption, fileLength: size(c.image) } }
  if (c.video) return { videoMessage: { mimetype: c.mimetype, caption: c.caption, fileLength: size(c.video), gifPlayback: c.gifPlayback } }
  if (c.audio) return { audioMessage: { mimetype: c.mimetype, ptt: c.ptt, fileLength: size(c.audio) } }
  if (c.document) return { documentMessage: { mimetype: c.mimetype, fileName: c.fileName, caption: c.caption, fileLength: size(c.document) } }
  if (c.sticker) return { stickerMessage: { mimetype: c.mimetype, fileLength: size(c.sticker) } }
  if (c.location) return { locationMessage: c.location }
  if (c.contacts) {
    const [first] = c.contacts.contacts
    return c.contacts.contacts.length === 1 ? { contactMessage: first } : { contactsArrayMessage: c.contacts }
  }
  if (c.poll) return { pollCreationMessageV3: { name: c.poll.name, options: c.poll.values.map((optionName: string) => ({ optionName })), selectableOptionsCount: c.poll.selectableCount } }
  return { conversation: JSON.stringify(Object.keys(c)) }
}

/** A socket that behaves like Baileys where wafleet relies on it. */
export class MockSocket implements WASocketLike {
  readonly ev = new MockEvents()
  user: Contact | undefined
  phase: Phase = 'connecting'
  /** Every QR string this socket emitted, in order. */
  readonly qrs: string[] = []
  private qrTimer: NodeJS.Timeout | null = null
  private readonly creds: AuthenticationCreds

  constructor(
    readonly sessionId: string,
    readonly options: SocketFactoryOptions,
    private readonly settings: Required<MockSocketFactoryOptions>,
    private readonly onSent: (sent: SentMessage) => void,
    private readonly script: { failWith?: number },
  ) {
    this.creds = options.config.auth.creds
    // Baileys emits its first update on the next tick, after the caller attached its listeners.
    process.nextTick(() => this.start())
  }

  get isPaired(): boolean {
    return Boolean(this.creds.me?.id && this.creds.account)
  }

  /** True after `end()`: every listener has been removed. */
  get ended(): boolean {
    return this.phase === 'closed'
  }

  get listenerCount(): number {
    return this.ev.listenerCount
  }

  private start(): void {
    if (this.phase === 'closed') return
    this.ev.emit('connection.update', { connection: 'connecting', receivedPendingNotifications: false, qr: undefined })
    if (this.script.failWith !== undefined) {
      void this.end(new MockDisconnectError(DISCONNECT_MESSAGES[this.script.failWith] ?? 'Connection Failure', this.script.failWith))
      return
    }
    if (this.isPaired) this.open()
    else this.showQr()
  }

  private open(): void {
    this.phase = 'open'
    this.user = { id: this.creds.me!.id, lid: this.creds.me!.lid, name: this.creds.me!.name }
    this.ev.emit('connection.update', { connection: 'open' })
    this.ev.emit('connection.update', { receivedPendingNotifications: true })
  }

  private showQr(): void {
    if (this.phase === 'closed' || this.phase === 'open') return
    if (this.qrs.length >= this.settings.maxQrs) {
      void this.end(new MockDisconnectError('QR refs attempts ended', 408))
      return
    }
    this.phase = 'qr'
    const ref = randomBytes(16).toString('base64')
    const qr = [ref, b64(this.creds.noiseKey.public), b64(this.creds.signedIdentityKey.public), this.creds.advSecretKey].join(',')
    this.qrs.push(qr)
    this.ev.emit('connection.update', { qr })
    const qrTimeout = this.options.config.qrTimeout
    const lifetime = qrTimeout ?? (this.qrs.length === 1 ? this.settings.firstQrMs : this.settings.qrIntervalMs)
    this.qrTimer = setTimeout(() => this.showQr(), lifetime)
  }

  /** Shows the next QR now (as when its predecessor expires). */
  rotateQr(): void {
    if (this.phase !== 'qr') throw new Error(`rotateQr: socket is ${this.phase}, not showing a QR`)
    if (this.qrTimer) clearTimeout(this.qrTimer)
    this.showQr()
  }

  /** Plays the phone: links the device (QR or pairing code), then WhatsApp closes with 515 as it really does. */
  pair(phoneNumber: string): void {
    if (this.phase !== 'qr') throw new Error(`pair: socket is ${this.phase}, not waiting for a scan`)
    if (this.qrTimer) clearTimeout(this.qrTimer)
    const digits = phoneNumber.replace(/\D/g, '')
    const lid = String(100_000_000_000_000n + BigInt(`0x${randomBytes(6).toString('hex')}`))
    const update: Partial<AuthenticationCreds> = {
      me: { id: `${digits}:1@s.whatsapp.net`, lid: `${lid}:1@lid`, name: this.creds.me?.name === '~' ? undefined : this.creds.me?.name },
      account: {
        details: randomBytes(32),
        accountSignatureKey: randomBytes(32),
        accountSignature: randomBytes(64),
        deviceSignature: randomBytes(64),
      },
      platform: 'smba',
      registered: this.creds.pairingCode ? true : this.creds.registered,
    }
    Object.assign(this.creds, update)
    this.ev.emit('creds.update', update)
    this.ev.emit('connection.update', { isNewLogin: true, qr: undefined })
    void this.end(new MockDisconnectError(DISCONNECT_MESSAGES[515]!, 515))
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined> {
    if (this.phase !== 'open') throw new MockDisconnectError('Connection Closed', 428)
    const message: WAMessage = {
      key: { remoteJid: jid, fromMe: true, id: options?.messageId ?? messageId() },
      message: toProtoMessage(content),
      messageTimestamp: Math.floor(Date.now() / 1000),
      status: 1,
    }
    this.onSent({ jid, content, options, message })
    this.ev.emit('messages.upsert', { messages: [message], type: 'append' })
    return message
  }

  async requestPairingCode(phoneNumber: string, customPairingCode?: string): Promise<string> {
    // Baileys sends the request on the WebSocket: it fails with 428 unless the socket is up.
    if (this.phase !== 'qr') throw new MockDisconnectError('Connection Closed', 428)
    const code = customPairingCode ?? pairingCode()
    const update: Partial<AuthenticationCreds> = { pairingCode: code, me: { id: `${phoneNumber}@s.whatsapp.net`, name: '~' } }
    Object.assign(this.creds, update)
    this.ev.emit('creds.update', update)
    return code
  }

  async logout(): Promise<void> {
    if (this.phase === 'closed') throw new MockDisconnectError('Connection Closed', 428)
    await this.end(new MockDisconnectError('Intentional Logout', 401))
  }

  async end(error: Error | undefined): Promise<void> {
    if (this.phase === 'closed') return
    this.phase = 'closed'
    if (this.qrTimer) clearTimeout(this.qrTimer)
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } })
    this.ev.destroy()
  }

  /** Emits any Baileys event, as if WhatsApp had sent it. */
  emit<T extends keyof BaileysEventMap>(event: T, data: BaileysEventMap[T]): void {
    if (this.phase === 'closed') throw new Error('emit: socket is closed')
    this.ev.emit(event, data)
  }
}

export interface ReceiveTextInput {
  /** Sender: phone number or JID. */
  from: string
  text: string
  id?: string
  pushName?: string
  /** Group the message was posted in (then `from` is the participant). */
  group?: string
}

export interface MockSocketFactory {
  /** Pass as `socketFactory` to the SessionManager. */
  factory: SocketFactory
  /** The live (latest, not ended) socket of a session. */
  socket(sessionId: string): MockSocket | undefined
  /** Every socket ever created for a session, oldest first. */
  sockets(sessionId: string): MockSocket[]
  /** Plays the phone scanning the QR (or confirming a pairing code): creds.update, then 515. */
  scan(sessionId: string, input?: { phoneNumber?: string }): void
  /** Delivers a text as `messages.upsert` (notify). Returns the message. */
  receiveText(sessionId: string, input: ReceiveTextInput): WAMessage
  /** Closes the live socket with a DisconnectReason code (515, 401, 408, 428, 440, ...). */
  disconnect(sessionId: string, code: number, message?: string): void
  /** Makes the next `count` sockets of a session close with `code` right after connecting. */
  failNextConnections(sessionId: string, count: number, code: number): void
  /** What the SDK sent through this session, across reconnects. */
  sent(sessionId: string): SentMessage[]
  /** Live sockets across all sessions. */
  liveCount(): number
}

function requireLive(sockets: Map<string, MockSocket[]>, sessionId: string): MockSocket {
  const socket = sockets.get(sessionId)?.at(-1)
  if (!socket || socket.ended) throw new Error(`No live mock socket for session ${sessionId}`)
  return socket
}

/** A socket factory for tests: no network, no phone; you play WhatsApp's side. See docs/testing.md. */
export function createMockSocketFactory(options: MockSocketFactoryOptions = {}): MockSocketFactory {
  const settings: Required<MockSocketFactoryOptions> = { firstQrMs: 60_000, qrIntervalMs: 20_000, maxQrs: 6, ...options }
  const sockets = new Map<string, MockSocket[]>()
  const sent = new Map<string, SentMessage[]>()
  const failures = new Map<string, { count: number; code: number }>()

  const factory: SocketFactory = (factoryOptions) => {
    const { sessionId } = factoryOptions
    const live = sockets.get(sessionId)?.at(-1)
    if (live && !live.ended) {
      // The one rule wafleet must never break: two sockets of one session evict each other (440 loops).
      throw new Error(`Mock: a second socket was created for session ${sessionId} while one is live`)
    }
    const failure = failures.get(sessionId)
    let failWith: number | undefined
    if (failure && failure.count > 0) {
      failure.count--
      failWith = failure.code
    }
    const socket = new MockSocket(
      sessionId,
      factoryOptions,
      settings,
      (message) => {
        let list = sent.get(sessionId)
        if (!list) sent.set(sessionId, (list = []))
        list.push(message)
      },
      failWith === undefined ? {} : { failWith },
    )
    let list = sockets.get(sessionId)
    if (!list) sockets.set(sessionId, (list = []))
    list.push(socket)
    return socket
  }

  return {
    factory,
    socket: (sessionId) => {
      const socket = sockets.get(sessionId)?.at(-1)
      return socket && !socket.ended ? socket : undefined
    },
    sockets: (sessionId) => [...(sockets.get(sessionId) ?? [])],
    scan: (sessionId, input = {}) => requireLive(sockets, sessionId).pair(input.phoneNumber ?? '5511999990000'),
    receiveText(sessionId, input) {
      const socket = requireLive(sockets, sessionId)
      const from = input.from.includes('@') ? input.from : `${input.from.replace(/\D/g, '')}@s.whatsapp.net`
      const message: WAMessage = {
        key: input.group
          ? { remoteJid: input.group, fromMe: false, id: input.id ?? messageId(), participant: from }
          : { remoteJid: from, fromMe: false, id: input.id ?? messageId() },
        message: { conversation: input.text },
        messageTimestamp: Math.floor(Date.now() / 1000),
        ...(input.pushName ? { pushName: input.pushName } : {}),
      }
      socket.emit('messages.upsert', { messages: [message], type: 'notify' })
      return message
    },
    disconnect(sessionId, code, message) {
      void requireLive(sockets, sessionId).end(new MockDisconnectError(message ?? DISCONNECT_MESSAGES[code] ?? 'Connection Failure', code))
    },
    failNextConnections(sessionId, count, code) {
      failures.set(sessionId, { count, code })
    },
    sent: (sessionId) => [...(sent.get(sessionId) ?? [])],
    liveCount: () => [...sockets.values()].filter((list) => list.at(-1) && !list.at(-1)!.ended).length,
  }
}
