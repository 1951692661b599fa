import {
  type AnyMessageContent,
  type BaileysEventMap,
  type ConnectionState,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys'
import { loadAuthStore, type AuthStore } from '../auth/auth-store.js'
import { SafeEmitter } from '../emitter.js'
import {
  ConnectionError,
  SendError,
  SessionError,
  ValidationError,
  WafleetError,
  toStorageError,
} from '../errors.js'
import {
  WHATSAPP_EVENTS,
  type ConnectionUpdate,
  type SessionEventMap,
  type SessionEventName,
  type SessionInfo,
  type SessionListeners,
  type SessionStatusEvent,
  type WhatsAppEventName,
} from '../events.js'
import type { Logger } from '../logger.js'
import { contactContent, deleteContent, editContent, locationContent, pollContent, reactionContent, textContent } from '../messages/content.js'
import type { ContactCardInput, LocationInput, PollInput } from '../messages/content.js'
import { assertMediaInput, buildMediaContent, type MediaInput } from '../messages/media.js'
import { parsePhoneNumber, parseRecipient } from '../messages/recipient.js'
import type { LastDisconnect, SessionPatch, SessionRecord, SessionStats, SessionStatus } from '../storage/types.js'
import { createBoundedCache } from '../util/bounded-cache.js'
import { createSerialQueue } from '../util/serial.js'
import { classifyDisconnect, DisconnectError, outcomeError, toLastDisconnect } from './disconnect.js'
import { qrLifetimeMs, renderQrDataUrl } from './qr.js'
import type { SessionRuntime } from './runtime.js'
import { SendQueue } from './send-queue.js'
import { Connection, type LiveSocket } from './connection.js'
import { SentMessages } from './sent-messages.js'
import { toSessionInfo } from './session-info.js'
import { pickUpdate, type SessionUpdate } from './session-update.js'
import { StatsTracker } from './stats.js'

export interface QrState {
  /** Raw QR string. */
  value: string
  /** PNG data URL of the QR. */
  dataUrl: string
  expiresAt: Date
  attempt: number
}

export interface SendOptions {
  /** Message to reply to. */
  quoted?: WAMessage
  /** User JIDs to mention (texts only). */
  mentions?: string[]
  /** Any other Baileys send option. */
  baileys?: MiscMessageGenerationOptions
}


/** Baileys events forwarded as they are (`creds.update` never is; `connection.update` is rewritten). */
const FORWARDED_EVENTS: ReadonlySet<string> = new Set(WHATSAPP_EVENTS)
/** WhatsApp events of one session whose plugins may still be working when its next batch is taken. */
const MAX_PIPELINED_EVENTS = 256

/** Statuses in which a connection attempt has had its first outcome. */
export const SETTLED_STATUSES: readonly SessionStatus[] = ['connected', 'qr', 'pairing', 'reconnecting', 'stopped', 'logged_out', 'failed']
const STOPPED: readonly SessionStatus[] = ['stopped', 'logged_out', 'failed']
const notConnected = (id: string, status: SessionStatus) =>
  new SessionError('SESSION_NOT_CONNECTED', `Session ${id} is not connected (status: ${status})`, { details: { sessionId: id, status } })

/**
 * One WhatsApp account. Lifecycle operations (connect, disconnect, logout, restart, pairing) run
 * one at a time, and at most one Baileys socket exists per session, ever.
 */
export class Session extends SafeEmitter<SessionListeners> {
  private record: SessionRecord
  private currentStatus: SessionStatus
  private currentError: WafleetError | null = null
  private currentQr: QrState | null = null
  private auth: AuthStore | null = null
  private pairingPhone: string | null = null
  private deleted = false
  private statsTimer: NodeJS.Timeout | null = null
  private readonly logger: Logger
  private readonly ops = createSerialQueue()
  private readonly writes = createSerialQueue()
  /** Settles when every pipelined WhatsApp event has reached the listeners (each waits for the one before). */
  private pipelineTail: Promise<void> = Promise.resolve()
  /** WhatsApp events handed to plugins whose handling goes on while the next batches arrive. */
  private pipelined = 0
  private readonly tracker: StatsTracker
  private readonly sendQueue: SendQueue
  private readonly sent: SentMessages
  private readonly connection: Connection
  /** Session-scoped so that retry counts survive reconnects (Baileys' advice against decrypt loops). */
  private readonly msgRetryCounterCache = createBoundedCache(1_000, 60 * 60_000)

  constructor(
    record: SessionRecord,
    private readonly runtime: SessionRuntime,
  ) {
    const logger = runtime.logger.child({ sessionId: record.id })
    super((error, event) => logger.error({ err: error, event }, 'session event listener threw'))
    this.logger = logger
    this.record = record
    // A process that died mid-connection left a transient status behind: it is not running here.
    this.currentStatus = STOPPED.includes(record.status) ? record.status : 'stopped'
    this.tracker = new StatsTracker(record.stats)
    this.sendQueue = new SendQueue(() => this.record.rateLimit ?? runtime.options.rateLimit, runtime.options.maxQueuedSends)
    this.sent = new SentMessages(record.id, runtime.messages, runtime.options.sentMessageLimit, (error) => this.reportError(error))
    // Keep stored status filters truthful until this session runs again.
    if (this.currentStatus !== record.status) void this.persist({ status: this.currentStatus }).catch(() => undefined)
    this.connection = new Connection({
      logger,
      options: runtime.options,
      socketConfig: (auth) => this.socketConfig(auth),
      createSocket: (config) => runtime.socketFactory({ sessionId: this.id, config }),
      handleEvents: (live, batch) => this.handleEvents(live, batch),
      setStatus: (status, extra) => this.setStatus(status, extra),
      reportError: (error) => this.reportError(error),
      ended: (error) => this.endLoop(error),
    })
  }

  get id(): string {
    return this.record.id
  }
  get name(): string {
    return this.record.name
  }
  get tenantId(): string | null {
    return this.record.tenantId
  }
  get status(): SessionStatus {
    return this.currentStatus
  }
  get desiredState(): SessionRecord['desiredState'] {
    return this.record.desiredState
  }
  get phoneNumber(): string | null {
    return this.record.phoneNumber
  }
  get jid(): string | null {
    return this.record.jid
  }
  get lid(): string | null {
    return this.record.lid
  }
  get metadata(): Record<string, unknown> {
    return structuredClone(this.record.metadata)
  }
  get webhooks(): SessionRecord['webhooks'] {
    return structuredClone(this.record.webhooks)
  }
  get proxy(): SessionRecord['proxy'] {
    return structuredClone(this.record.proxy)
  }
  get rateLimit(): SessionRecord['rateLimit'] {
    return this.record.rateLimit ? { ...this.record.rateLimit } : null
  }
  get lastDisconnect(): LastDisconnect | null {
    return this.record.lastDisconnect
  }
  get connectedAt(): Date | null {
    return this.record.connectedAt ? new Date(this.record.connectedAt) : null
  }
  get createdAt(): Date {
    return this.record.createdAt
  }
  /** The current QR while the session waits for a scan, else null. */
  get qr(): QrState | null {
    return this.currentQr
  }
  get stats(): SessionStats {
    return this.tracker.snapshot()
  }
  /** The last error that affected this session (cleared when it connects), else null. */
  get error(): WafleetError | null {
    return this.currentError
  }
  /** True when stored credentials belong to a linked device. */
  get isPaired(): boolean {
    return this.auth?.isPaired() ?? Boolean(this.record.jid)
  }

  /** A secret-free snapshot, safe for logs, webhooks and HTTP responses. */
  info(): SessionInfo {
    return toSessionInfo(this.record, this.currentStatus, this.tracker.snapshot(), this.currentError)
  }

  /** Resolves when the status is one of `statuses` (now or later); rejects after `timeoutMs`. */
  waitFor(statuses: SessionStatus | readonly SessionStatus[], timeoutMs = 30_000): Promise<SessionStatus> {
    const wanted: readonly SessionStatus[] = typeof statuses === 'string' ? [statuses] : statuses
    if (wanted.includes(this.currentStatus)) return Promise.resolve(this.currentStatus)
    return new Promise((resolve, reject) => {
      const onStatus = ({ status }: SessionStatusEvent) => {
        if (!wanted.includes(status)) return
        clearTimeout(timer)
        this.off('session.status', onStatus)
        resolve(status)
      }
      const timer = setTimeout(() => {
        this.off('session.status', onStatus)
        reject(
          new SessionError('OPERATION_ABORTED', `Session ${this.id} did not reach ${wanted.join('/')} within ${timeoutMs} ms`, {
            details: { sessionId: this.id, status: this.currentStatus },
          }),
        )
      }, timeoutMs)
      this.on('session.status', onStatus)
    })
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts connecting (and remembers that the session should run). Idempotent while running. */
  connect(): Promise<void> {
    return this.ops.run(async () => {
      this.assertAlive()
      if (this.connection.running) return
      await this.persist({ desiredState: 'running' })
      await this.startLoop('connect')
    })
  }

  /** Closes the connection and keeps the credentials: `connect()` later needs no QR. */
  disconnect(): Promise<void> {
    return this.ops.run(async () => {
      this.assertAlive()
      await this.stopLoop()
      await this.persist({ desiredState: 'stopped' })
      await this.settleStopped('disconnected')
    })
  }

  /** Unlinks the device (when connected) and wipes credentials and keys. A new pairing is needed. */
  logout(): Promise<void> {
    return this.ops.run(async () => {
      this.assertAlive()
      const wasOpen = this.currentStatus === 'connected'
      await this.stopLoop(async (live) => {
        // Ask WhatsApp to remove the device; only possible on an open connection.
        if (wasOpen) {
          await live.socket.logout().catch((error: unknown) => this.logger.warn({ err: error }, 'logout request to WhatsApp failed'))
        }
      })
      await this.wipeCredentials()
      await this.persist({ desiredState: 'stopped', phoneNumber: null, jid: null, lid: null, connectedAt: null })
      await this.setStatus('logged_out', { reason: 'logout' })
    })
  }

  /** Closes and reopens the connection, keeping credentials. */
  restart(): Promise<void> {
    return this.ops.run(async () => {
      this.assertAlive()
      await this.stopLoop()
      await this.persist({ desiredState: 'running' })
      await this.startLoop('restart')
    })
  }

  /**
   * Links this session to the phone number with an 8-character code instead of a QR. Starts the
   * connection when needed and waits until WhatsApp is ready to accept the request.
   */
  async requestPairingCode(phoneNumber: string): Promise<string> {
    const phone = parsePhoneNumber(phoneNumber)
    return this.ops.run(async () => {
      this.assertAlive()
      if (this.auth?.isPaired()) {
        throw new SessionError('SESSION_ALREADY_PAIRED', `Session ${this.id} is already linked to a phone; log out first`, {
          details: { sessionId: this.id },
        })
      }
      if (!this.connection.running) {
        await this.persist({ desiredState: 'running' })
        await this.startLoop('pairing')
      }
      const status = await this.waitFor(['qr', 'pairing', ...STOPPED, 'connected'], this.runtime.options.pairingTimeoutMs)
      const live = this.connection.current
      if ((status !== 'qr' && status !== 'pairing') || !live) {
        throw new ConnectionError('PAIRING_FAILED', `Session ${this.id} cannot pair now (status: ${status})`, {
          details: { sessionId: this.id, status },
        })
      }
      let code: string
      try {
        code = await live.socket.requestPairingCode(phone)
      } catch (error) {
        throw new ConnectionError('PAIRING_FAILED', `WhatsApp refused the pairing request: ${errorMessage(error)}`, {
          cause: error,
          details: { sessionId: this.id },
        })
      }
      this.pairingPhone = phone
      this.currentQr = null
      await this.setStatus('pairing', { reason: 'pairing_code' })
      await this.publish('session.pairing_code', { code, phoneNumber: phone })
      return code
    })
  }

  /** Changes name, webhooks, proxy, rate limit or metadata; plugins validate first. No restart needed. */
  update(patch: SessionUpdate): Promise<SessionInfo> {
    return this.ops.run(async () => {
      this.assertAlive()
      const changes = pickUpdate(patch)
      await this.runtime.validate(changes, { sessionId: this.id, tenantId: this.tenantId })
      await this.persist(changes)
      const info = this.info()
      await this.publish('session.updated', info)
      return info
    })
  }

  // ---------------------------------------------------------------- used by the manager

  /** @internal Connects if the persisted intent is "running" and credentials exist. */
  async restore(): Promise<boolean> {
    return this.ops.run(async () => {
      if (this.deleted || this.connection.running || this.record.desiredState !== 'running') return false
      let auth: AuthStore
      try {
        auth = await this.loadAuth()
      } catch (error) {
        // Reported on the session (failed + session.error); the credentials stay where they are.
        await this.fail(error instanceof WafleetError ? error : toStorageError(error, 'auth.load'), 'credentials_unreadable')
        return false
      }
      if (!auth.isPaired()) return false
      await this.startLoop('restore')
      return true
    })
  }

  /** @internal Closes the connection for a process shutdown; the intent stays as it is. */
  shutdown(): Promise<void> {
    return this.ops.run(async () => {
      const wasRunning = this.connection.running
      await this.stopLoop()
      // Events already received are stored and delivered before the plugins are torn down.
      await this.pipelineTail
      this.sendQueue.failAll(new SessionError('MANAGER_STOPPED', 'The session manager is stopping'))
      if (wasRunning) await this.setStatus('stopped', { reason: 'shutdown' })
      await this.flushStats()
      await this.writes.idle()
      await this.auth?.flush()
    })
  }

  /** @internal Stops everything before the manager deletes the session's data. */
  destroy(): Promise<void> {
    return this.ops.run(async () => {
      await this.stopLoop()
      this.deleted = true
      this.sendQueue.failAll(new SessionError('SESSION_NOT_FOUND', `Session ${this.id} was deleted`))
      if (this.statsTimer) clearTimeout(this.statsTimer)
      await this.writes.idle()
      await this.auth?.flush().catch(() => undefined)
    })
  }

  // ---------------------------------------------------------------- messaging

  sendText(to: string, text: string, options: SendOptions = {}): Promise<WAMessage> {
    return this.sendContent(to, () => textContent(text, options), options)
  }

  /** Image, video, audio, voice note, document or sticker from a URL, base64, a Buffer or a stream. */
  async sendMedia(to: string, media: MediaInput, options: SendOptions = {}): Promise<WAMessage> {
    const { jid } = parseRecipient(to)
    assertMediaInput(media)
    this.assertConnected()
    const content = await buildMediaContent(media, {
      maxBytes: this.runtime.options.maxMediaBytes,
      timeoutMs: this.runtime.options.mediaTimeoutMs,
      blockPrivateNetworks: this.runtime.options.blockPrivateNetworks,
      fetchOptions: (this.connection.lastConfig?.options as Record<string, unknown> | undefined) ?? {},
    })
    return this.enqueueSend(jid, content, options)
  }

  sendLocation(to: string, location: LocationInput, options: SendOptions = {}): Promise<WAMessage> {
    return this.sendContent(to, () => locationContent(location), options)
  }

  sendContact(to: string, contact: ContactCardInput | ContactCardInput[], options: SendOptions = {}): Promise<WAMessage> {
    return this.sendContent(to, () => contactContent(contact), options)
  }

  /** Reacts to a message; an empty emoji removes the reaction. */
  sendReaction(to: string, key: WAMessageKey, emoji: string): Promise<WAMessage> {
    return this.sendContent(to, (jid) => reactionContent(jid, key, emoji), {})
  }

  sendPoll(to: string, poll: PollInput, options: SendOptions = {}): Promise<WAMessage> {
    return this.sendContent(to, () => pollContent(poll), options)
  }

  editMessage(to: string, key: WAMessageKey, text: string): Promise<WAMessage> {
    return this.sendContent(to, (jid) => editContent(jid, key, text), {})
  }

  /** Deletes a message for everyone. */
  deleteMessage(to: string, key: WAMessageKey): Promise<WAMessage> {
    return this.sendContent(to, (jid) => deleteContent(jid, key), {})
  }

  /** Sends any Baileys message content (buttons, forwards, events, ...). */
  send(to: string, content: AnyMessageContent, options: SendOptions = {}): Promise<WAMessage> {
    return this.sendContent(to, () => content, options)
  }

  private async sendContent(to: string, build: (jid: string) => AnyMessageContent, options: SendOptions): Promise<WAMessage> {
    const { jid } = parseRecipient(to)
    const content = build(jid)
    return this.enqueueSend(jid, content, options)
  }

  private assertConnected(): void {
    this.assertAlive()
    if (this.currentStatus !== 'connected' || !this.connection.current) throw notConnected(this.id, this.currentStatus)
  }

  private enqueueSend(jid: string, content: AnyMessageContent, options: SendOptions): Promise<WAMessage> {
    this.assertConnected()
    const baileysOptions: MiscMessageGenerationOptions | undefined =
      options.quoted || options.baileys ? { ...options.baileys, ...(options.quoted ? { quoted: options.quoted } : {}) } : undefined
    const request = { session: this, jid, content, options: baileysOptions }
    return this.runtime.plugins.send(request, () => this.sendQueue.push(() => this.sendNow(jid, content, baileysOptions)))
  }

  private async sendNow(jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions | undefined): Promise<WAMessage> {
    const live = this.connection.current
    if (!live || this.currentStatus !== 'connected') throw notConnected(this.id, this.currentStatus)
    let message: WAMessage | undefined
    try {
      message = await live.socket.sendMessage(jid, content, options)
    } catch (error) {
      throw new SendError('SEND_FAILED', `Sending to ${jid} failed: ${errorMessage(error)}`, { cause: error, details: { sessionId: this.id } })
    }
    if (!message?.key?.id) {
      throw new SendError('SEND_FAILED', `WhatsApp returned no message for the send to ${jid}`, { details: { sessionId: this.id } })
    }
    this.tracker.messageSent()
    this.scheduleStats()
    await this.sent.remember(message)
    return message
  }

  // ---------------------------------------------------------------- connection loop

  private async loadAuth(): Promise<AuthStore> {
    if (!this.auth) {
      this.auth = await loadAuthStore(this.runtime.storage, this.id, this.runtime.codec, {
        onError: (error) => void this.reportError(error),
      })
    }
    return this.auth
  }

  /** Must run inside `ops`. */
  private async startLoop(reason: string): Promise<void> {
    let auth: AuthStore
    try {
      auth = await this.loadAuth()
    } catch (error) {
      // Unreadable credentials (storage down, corrupt, wrong key) must never turn into a new QR.
      const wrapped = error instanceof WafleetError ? error : toStorageError(error, 'auth.load')
      await this.fail(wrapped, 'credentials_unreadable')
      throw wrapped
    }
    this.currentError = null
    await this.setStatus('starting', { reason })
    this.connection.start(auth)
  }

  /** Must run inside `ops`. Ends the socket on purpose and waits until the loop is over. */
  private async stopLoop(beforeEnd?: (live: LiveSocket) => Promise<void>): Promise<void> {
    if (!this.connection.running) return
    await this.connection.stop(beforeEnd)
    this.sendQueue.failAll(notConnected(this.id, 'stopped'))
    if (this.record.connectedAt) await this.persist({ connectedAt: null })
  }

  private async socketConfig(auth: AuthStore): Promise<UserFacingSocketConfig> {
    const config: UserFacingSocketConfig = {
      ...this.runtime.options.baileys,
      auth: auth.state,
      logger: this.logger.child({ module: 'baileys' }),
      getMessage: (key) => this.sent.get(key),
      msgRetryCounterCache: this.msgRetryCounterCache,
    }
    const final = await this.runtime.plugins.socketConfig(this, config)
    if (this.record.proxy && !final.agent) {
      // A proxy nobody applied would mean a silent direct connection, the one thing a proxy user must never get.
      throw new ValidationError('PROXY_INVALID', `Session ${this.id} has a proxy but no plugin applied it: add proxy() from 'wafleet/plugins/proxy'`, {
        details: { sessionId: this.id, field: 'proxy' },
      })
    }
    return final
  }

  /** How the loop ended: a terminal close, the circuit breaker, or a failure to build a socket. */
  private async endLoop(error: unknown): Promise<void> {
    if (!(error instanceof DisconnectError)) {
      const wrapped = error instanceof WafleetError ? error : new ConnectionError('CONNECTION_FAILED', errorMessage(error), { cause: error })
      await this.fail(wrapped, 'connect_error')
      return
    }
    const { outcome } = error
    if (error.retryable) {
      // Circuit breaker: too many consecutive failures. Credentials stay; the intent stays "running"
      // so a restart of the process (or connect()) tries again.
      const breaker = new ConnectionError('CONNECTION_FAILED', `Gave up after ${this.runtime.options.reconnect.maxAttempts} consecutive failed attempts: ${outcome.message}`, {
        details: { code: outcome.code, reason: outcome.reason, attempts: this.runtime.options.reconnect.maxAttempts },
      })
      await this.fail(breaker, 'circuit_open', outcome.code)
      return
    }
    switch (outcome.action) {
      case 'logged_out':
        await this.wipeCredentials()
        await this.persist({ desiredState: 'stopped', phoneNumber: null, jid: null, lid: null, connectedAt: null })
        await this.reportError(outcomeError(outcome))
        await this.setStatus('logged_out', { reason: outcome.reason, code: outcome.code })
        return
      case 'qr_timeout':
        await this.persist({ desiredState: 'stopped' })
        await this.reportError(outcomeError(outcome))
        await this.settleStopped(outcome.reason, outcome.code)
        return
      case 'replaced':
        // Never fight another owner: stop here and let a person (or the lease) decide.
        await this.persist({ desiredState: 'stopped' })
        await this.reportError(outcomeError(outcome))
        await this.settleStopped(outcome.reason, outcome.code)
        return
      case 'intentional':
        return
      default:
        await this.persist({ desiredState: 'stopped' })
        await this.fail(outcomeError(outcome), outcome.reason, outcome.code)
    }
  }

  private async fail(error: WafleetError, reason: string, code?: number | null): Promise<void> {
    await this.reportError(error)
    await this.clearUnpairedCredentials()
    await this.setStatus('failed', { reason, ...(code === undefined ? {} : { code }) })
  }

  private async settleStopped(reason: string, code?: number | null): Promise<void> {
    this.currentQr = null
    this.pairingPhone = null
    await this.clearUnpairedCredentials()
    await this.flushStats()
    await this.setStatus('stopped', { reason, ...(code === undefined ? {} : { code }) })
  }

  /** A pairing that never completed leaves nothing behind (Baileys writes `creds.me` when a code is requested). */
  private async clearUnpairedCredentials(): Promise<void> {
    const auth = this.auth
    if (!auth || auth.isPaired() || !auth.state.creds.me) return
    await auth.clear().catch((error: unknown) => this.reportError(toStorageError(error, 'auth.clear')))
  }

  private async wipeCredentials(): Promise<void> {
    const auth = await this.loadAuth().catch(() => null)
    // The next pairing starts from a fresh store; this one drops late writes of the dead socket.
    this.auth = null
    try {
      if (auth) await auth.retire()
      else await this.runtime.storage.auth.clear(this.id)
    } catch (error) {
      await this.reportError(toStorageError(error, 'auth.clear'))
    }
    this.currentQr = null
    this.pairingPhone = null
  }

  private async handleEvents(live: LiveSocket, batch: Partial<BaileysEventMap>): Promise<void> {
    if (this.connection.current !== live) return
    const credsUpdate = batch['creds.update']
    if (credsUpdate) {
      // Persisted in order by the auth store; a failure is reported there and fails the session below.
      this.auth?.saveCreds().catch((error: unknown) => this.onCredsWriteFailed(live, error))
    }
    const update = batch['connection.update']
    if (update) await this.handleConnectionUpdate(live, update)
    this.tracker.observe(batch)
    if (this.tracker.takeDirty()) this.scheduleStats()
    for (const name of Object.keys(batch) as (keyof BaileysEventMap)[]) {
      if (name === 'connection.update' || !FORWARDED_EVENTS.has(name)) continue
      const data = batch[name]
      if (data !== undefined) void this.pipeline(name as WhatsAppEventName, data as SessionEventMap[WhatsAppEventName])
    }
    // Bounded: a storage slower than the socket makes the socket's batches wait, not pile up.
    if (this.pipelined >= MAX_PIPELINED_EVENTS) await this.pipelineTail
  }

  /**
   * Plugins get the event now and the next batch is taken while they store it, so the events of
   * many batches share one outbox write (a group commit) instead of a write each. The manager's and
   * the session's listeners still get every event in order, each after its plugins are done.
   */
  private pipeline<E extends WhatsAppEventName>(event: E, data: SessionEventMap[E]): Promise<void> {
    // With nothing in flight there is nothing to wait for (the common case, kept cheap).
    const done = this.publish(event, data, this.pipelined > 0 ? this.pipelineTail : undefined)
    this.pipelined++
    this.pipelineTail = done.then(this.pipelinedDone, (error: unknown) => {
      this.logger.error({ err: error, event }, 'publishing an event failed')
      this.pipelinedDone()
    })
    return done
  }

  private readonly pipelinedDone = () => {
    this.pipelined--
  }

  /** Credentials that cannot be saved would be lost at the next restart: stop and say so instead. */
  private async onCredsWriteFailed(live: LiveSocket, error: unknown): Promise<void> {
    if (this.connection.current !== live) return
    const wrapped = toStorageError(error, 'saveCreds')
    this.logger.error({ err: wrapped }, 'credentials could not be saved; closing the connection')
    await this.connection.stop()
    await this.fail(wrapped, 'credentials_not_saved')
  }

  private async handleConnectionUpdate(live: LiveSocket, update: Partial<ConnectionState>): Promise<void> {
    if (this.connection.current !== live) return
    const { qr, lastDisconnect, ...rest } = update
    let forwarded: ConnectionUpdate | null = Object.keys(rest).length ? { ...rest } : null
    if (update.connection === 'close') {
      const outcome = classifyDisconnect(lastDisconnect?.error)
      const last = toLastDisconnect(outcome, lastDisconnect?.date)
      forwarded = { ...rest, lastDisconnect: last }
      if (outcome.action !== 'intentional') {
        this.logger.info({ code: outcome.code, reason: outcome.reason }, 'connection closed')
        await this.persist({ lastDisconnect: last, connectedAt: null })
      } else if (this.record.connectedAt) {
        await this.persist({ connectedAt: null })
      }
      this.currentQr = null
      if (!this.auth?.isPaired()) await this.clearUnpairedCredentials()
      await this.pipeline('connection.update', forwarded)
      live.close(outcome)
      return
    }
    if (forwarded) await this.pipeline('connection.update', forwarded)
    if (qr) await this.handleQr(live, qr)
    if (update.connection === 'open') await this.handleOpen(live)
  }

  private async handleQr(live: LiveSocket, qr: string): Promise<void> {
    live.qrAttempt++
    if (this.pairingPhone) return // pairing by code: Baileys keeps rotating refs, the user does not need them
    const attempt = live.qrAttempt
    const expiresAt = new Date(Date.now() + qrLifetimeMs(attempt, this.runtime.options.baileys.qrTimeout))
    const dataUrl = await renderQrDataUrl(qr)
    if (this.connection.current !== live) return
    this.currentQr = { value: qr, dataUrl, expiresAt, attempt }
    if (this.currentStatus !== 'qr') await this.setStatus('qr', { reason: 'qr' })
    await this.publish('session.qr', { qr, dataUrl, expiresAt: expiresAt.toISOString(), attempt })
  }

  private async handleOpen(live: LiveSocket): Promise<void> {
    const user = live.socket.user
    const jid = user?.id ? user.id.replace(/:\d+@/, '@') : this.record.jid
    const lid = user?.lid ? user.lid.replace(/:\d+@/, '@') : this.record.lid
    const phoneNumber = jid?.endsWith('@s.whatsapp.net') ? jid.split('@')[0]! : this.record.phoneNumber
    this.currentQr = null
    this.pairingPhone = null
    this.currentError = null
    this.connection.opened()
    await this.persist({ jid, lid, phoneNumber, connectedAt: new Date().toISOString() })
    await this.setStatus('connected', { reason: 'open' })
  }

  // ---------------------------------------------------------------- state, persistence, events

  private async setStatus(status: SessionStatus, extra: Omit<SessionStatusEvent, 'status' | 'previous'> = {}): Promise<void> {
    const previous = this.currentStatus
    if (previous === status && status !== 'reconnecting') return
    this.currentStatus = status
    if (status !== 'qr' && status !== 'pairing') this.currentQr = status === 'connected' ? null : this.currentQr
    // A session that ended (logged out, replaced, failed) will not send what is queued: say so now,
    // not when each send's rate-limit token comes. A transient drop keeps the queue.
    if (STOPPED.includes(status)) this.sendQueue.failAll(notConnected(this.id, status))
    void this.persist({ status }).catch(() => undefined)
    await this.publish('session.status', { status, previous, ...extra })
  }

  /**
   * Writes a patch of the session record, one write at a time. A conflict with another writer
   * re-reads the record and applies the patch on top, because these fields are owned by this session.
   */
  private persist(patch: SessionPatch): Promise<void> {
    Object.assign(this.record, structuredClone(patch))
    return this.writes.run(async () => {
      if (this.deleted) return
      try {
        this.record = await this.runtime.storage.sessions.update(this.id, patch, { expectedVersion: this.record.version })
      } catch (error) {
        if (error instanceof WafleetError && error.code === 'VERSION_CONFLICT') {
          const current = await this.runtime.storage.sessions.get(this.id)
          if (current) {
            this.record = await this.runtime.storage.sessions.update(this.id, patch, { expectedVersion: current.version })
            return
          }
        }
        const wrapped = toStorageError(error, 'sessions.update')
        await this.reportError(wrapped)
        throw wrapped
      } finally {
        // Status and stats live in memory first; what the adapter returned may lag behind them.
        this.record.status = this.currentStatus
      }
    })
  }

  private scheduleStats(): void {
    if (this.statsTimer) return
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null
      void this.flushStats().catch(() => undefined)
    }, this.runtime.options.statsFlushMs)
    this.statsTimer.unref()
  }

  private async flushStats(): Promise<void> {
    if (this.statsTimer) {
      clearTimeout(this.statsTimer)
      this.statsTimer = null
    }
    const stats = this.tracker.snapshot()
    if (JSON.stringify(stats) === JSON.stringify(this.record.stats)) return
    await this.persist({ stats }).catch(() => undefined)
    await this.publish('session.stats', stats)
  }

  /** Records the error on the session and emits `session.error`; never throws. */
  private async reportError(error: WafleetError): Promise<void> {
    this.currentError = error
    this.logger.warn({ err: error }, error.message)
    await this.publish('session.error', { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) })
  }

  /** Plugins first (awaited), then, once `after` has settled, the manager's and the session's listeners. */
  private async publish<E extends SessionEventName>(event: E, data: SessionEventMap[E], after?: Promise<void>): Promise<void> {
    if (this.deleted && event !== 'session.deleted') return
    await this.runtime.publish(this, event, data, after)
    this.dispatch(event, data)
  }

  /** @internal Emits an event on this session (used by the manager for lifecycle events it owns). */
  emitLifecycle<E extends 'session.created' | 'session.deleted'>(event: E, data: SessionEventMap[E]): void {
    this.dispatch(event, data)
  }

  private assertAlive(): void {
    if (this.deleted) throw new SessionError('SESSION_NOT_FOUND', `Session ${this.id} was deleted`, { details: { sessionId: this.id } })
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
