import { createValueCodec } from '../auth/codec.js'
import { SafeEmitter } from '../emitter.js'
import { SessionError, StorageError, ValidationError, WafleetError, isWafleetError, toStorageError } from '../errors.js'
import type { AnyManagerEvent, ManagerListeners, SessionEventMap, SessionEventName } from '../events.js'
import { createDefaultLogger, createSafeLogger, type Logger } from '../logger.js'
import { PluginHost } from '../plugins/host.js'
import type { SessionConfigInput } from '../plugins/types.js'
import { SETTLED_STATUSES, Session } from '../session/session.js'
import type { SessionRuntime } from '../session/runtime.js'
import { baileysSocketFactory, routeLibsignalConsole } from '../socket/baileys.js'
import { createMemoryStorage } from '../storage/memory.js'
import { newSessionRecord } from '../storage/records.js'
import {
  SESSION_STATUSES,
  storageCapabilities,
  type SessionListQuery,
  type SessionRecord,
  type SessionStatus,
  type StorageAdapter,
} from '../storage/types.js'
import { createMemoryMessageStore } from './message-store.js'
import { resolveRestoreOptions, resolveSessionOptions, type SessionManagerOptions } from './options.js'
import { TenantView } from './tenant-view.js'
import { uuidv7 } from '../util/ids.js'
import { assertName, assertSafeId, assertSessionConfig } from './validate.js'

export interface CreateSessionInput extends SessionConfigInput {
  /** Chosen id; generated (a time-ordered UUID v7) when omitted. */
  id?: string
  /** Unique within the tenant. */
  name: string
  tenantId?: string | null
}

export interface ListSessionsPage {
  items: Session[]
  nextCursor: string | null
}

export interface HealthReport {
  ok: boolean
  storage: { ok: boolean; kind: string; latencyMs: number; error?: { code: string; message: string } }
  sessions: { total: number; byStatus: Record<SessionStatus, number> }
}

type ManagerState = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped'

/** Plugin APIs (`manager.webhooks`, `manager.metrics`, ...) are typed by the plugins' entries through `Wafleet.PluginApis`. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface SessionManager extends Wafleet.PluginApis {}

/**
 * Runs many WhatsApp sessions: creates and restores them, routes their events (typed, with
 * `sessionId` and `tenantId`) and shuts them down gracefully.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SessionManager extends SafeEmitter<ManagerListeners> {
  readonly storage: StorageAdapter
  private readonly ownsStorage: boolean
  private readonly logger: Logger
  private readonly options: SessionManagerOptions
  private readonly runtime: SessionRuntime
  private readonly host: PluginHost
  private readonly restoreOptions: ReturnType<typeof resolveRestoreOptions>
  private readonly sessions = new Map<string, Session>()
  private state: ManagerState = 'idle'

  constructor(options: SessionManagerOptions = {}) {
    const logger = createSafeLogger(options.logger ?? createDefaultLogger())
    super((error, event) => logger.error({ err: error, event }, 'manager event listener threw'))
    this.logger = logger
    this.options = { ...options }
    this.ownsStorage = !options.storage
    this.storage = options.storage ?? createMemoryStorage()
    this.restoreOptions = resolveRestoreOptions(options.restore)
    const sessionOptions = resolveSessionOptions(options)
    this.host = new PluginHost(logger, (plugin, error, event) => this.onPluginListenerError(plugin, error, event))
    if (options.socketFactory === undefined && options.captureLibsignalConsole !== false) routeLibsignalConsole(logger)
    this.runtime = {
      storage: this.storage,
      codec: createValueCodec(options.encryption ? { encryption: options.encryption } : {}),
      socketFactory: options.socketFactory ?? baileysSocketFactory,
      logger,
      options: sessionOptions,
      plugins: this.host,
      messages: storageCapabilities(this.storage).messages ? this.storage.messages! : createMemoryMessageStore(),
      publish: (session, event, data, after) => this.publish(session, event, data, after),
      validate: async (input, context) => {
        assertSessionConfig(input)
        await this.host.validate(input, context)
      },
    }
  }

  /** True between a successful `start()` and `stop()`. */
  get started(): boolean {
    return this.state === 'started'
  }

  /**
   * Initializes storage, sets plugins up, loads every session and reconnects those that were
   * running and have credentials, `restore.concurrency` at a time.
   */
  async start(): Promise<void> {
    if (this.state === 'started' || this.state === 'starting') return
    if (this.state === 'stopping') throw new SessionError('MANAGER_STOPPED', 'The manager is stopping')
    this.state = 'starting'
    try {
      await this.storage.init().catch((error: unknown) => {
        throw toStorageError(error, 'init')
      })
      await this.host.setup(this.options.plugins ?? [], this, this.storage)
      this.sessions.clear()
      await this.loadSessions()
      this.state = 'started'
    } catch (error) {
      this.state = 'idle'
      throw error
    }
    if (this.restoreOptions.enabled) await this.restoreSessions()
  }

  private async loadSessions(): Promise<void> {
    let cursor: string | undefined
    do {
      const page = await this.storage.sessions.list({ limit: 1000, ...(cursor ? { cursor } : {}) }).catch((error: unknown) => {
        throw toStorageError(error, 'sessions.list')
      })
      for (const record of page.items) this.sessions.set(record.id, new Session(record, this.runtime))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
  }

  private async restoreSessions(): Promise<void> {
    const candidates = [...this.sessions.values()].filter((session) => session.desiredState === 'running')
    if (!candidates.length) return
    const started = Date.now()
    let restored = 0
    let next = 0
    const worker = async () => {
      while (next < candidates.length && this.state === 'started') {
        const session = candidates[next++]!
        try {
          if (!(await session.restore())) continue
          restored++
          await session.waitFor(SETTLED_STATUSES, this.restoreOptions.timeoutMs)
        } catch (error) {
          // The session reports its own failure (status `failed` and `session.error`); restore goes on with the rest.
          this.logger.warn({ err: error, sessionId: session.id }, 'session restore did not settle')
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(this.restoreOptions.concurrency, candidates.length) }, worker))
    this.logger.info({ restored, candidates: candidates.length, ms: Date.now() - started }, 'sessions restored')
  }

  /** Creates a session (not connected yet: call `connect()` or `requestPairingCode()`). */
  async create(input: CreateSessionInput): Promise<Session> {
    this.assertStarted()
    if (!input || typeof input !== 'object') throw new ValidationError('VALIDATION_ERROR', 'create needs { name }')
    const id = input.id === undefined ? uuidv7() : assertSafeId(input.id, 'id')
    const tenantId = input.tenantId === undefined || input.tenantId === null ? null : assertSafeId(input.tenantId, 'tenantId')
    const name = assertName(input.name)
    const config: SessionConfigInput = {
      ...(input.webhooks === undefined ? {} : { webhooks: structuredClone(input.webhooks) }),
      ...(input.proxy === undefined ? {} : { proxy: structuredClone(input.proxy) }),
      ...(input.rateLimit === undefined ? {} : { rateLimit: structuredClone(input.rateLimit) }),
      ...(input.metadata === undefined ? {} : { metadata: structuredClone(input.metadata) }),
    }
    await this.runtime.validate(config, { sessionId: undefined, tenantId })
    let record: SessionRecord
    try {
      record = await this.storage.sessions.create(newSessionRecord({ id, name, tenantId, ...config } as Parameters<typeof newSessionRecord>[0]))
    } catch (error) {
      if (isWafleetError(error, 'STORAGE_CONFLICT')) {
        throw new ValidationError('VALIDATION_ERROR', `A session with id ${id} already exists`, { cause: error, details: { field: 'id' } })
      }
      throw toStorageError(error, 'sessions.create')
    }
    const session = new Session(record, this.runtime)
    this.sessions.set(id, session)
    const info = session.info()
    await this.publish(session, 'session.created', info)
    session.emitLifecycle('session.created', info)
    return session
  }

  /** The session with this id, or undefined. */
  get(id: string): Session | undefined {
    return this.sessions.get(id)
  }

  /** The session with this id; throws `SESSION_NOT_FOUND`. */
  getOrThrow(id: string): Session {
    const session = this.sessions.get(id)
    if (!session) throw new SessionError('SESSION_NOT_FOUND', `Session ${id} not found`, { details: { sessionId: id } })
    return session
  }

  /** Pages through sessions in creation order, filtered by tenant and status. */
  async list(query: SessionListQuery = {}): Promise<ListSessionsPage> {
    this.assertStarted()
    const page = await this.storage.sessions.list(query).catch((error: unknown) => {
      throw toStorageError(error, 'sessions.list')
    })
    const items = page.items.map((record) => {
      let session = this.sessions.get(record.id)
      if (!session) {
        session = new Session(record, this.runtime)
        this.sessions.set(record.id, session)
      }
      return session
    })
    return { items, nextCursor: page.nextCursor }
  }

  /** Disconnects the session and removes everything it stored. */
  async delete(id: string): Promise<void> {
    this.assertStarted()
    const session = this.getOrThrow(id)
    await session.destroy()
    this.sessions.delete(id)
    try {
      await this.storage.sessions.delete(id)
    } catch (error) {
      // Its data is still there: keep the session reachable (stopped) instead of pretending it is gone.
      const record = await this.storage.sessions.get(id).catch(() => null)
      if (record) this.sessions.set(id, new Session(record, this.runtime))
      throw toStorageError(error, 'sessions.delete')
    }
    const event = { event: 'session.deleted' as const, sessionId: id, tenantId: session.tenantId, data: { id } }
    await this.host.publish(event)
    this.dispatch('session.deleted', { sessionId: id, tenantId: session.tenantId, data: { id } })
    this.dispatch('*', event)
    session.emitLifecycle('session.deleted', { id })
  }

  /** Closes every connection and flushes writes. Credentials and intents stay: the next `start()` restores. */
  async stop(): Promise<void> {
    if (this.state !== 'started' && this.state !== 'starting') return
    this.state = 'stopping'
    const results = await Promise.allSettled([...this.sessions.values()].map((session) => session.shutdown()))
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected')
    for (const failure of failures) this.logger.error({ err: failure.reason }, 'session shutdown failed')
    try {
      await this.host.teardown()
      if (this.ownsStorage) await this.storage.close()
    } finally {
      this.state = 'stopped'
    }
    if (failures.length) {
      throw new StorageError('STORAGE_ERROR', `${failures.length} session(s) could not flush on stop`, { cause: failures[0]!.reason })
    }
  }

  /** A view that can only see and touch the sessions of one tenant. */
  forTenant(tenantId: string): TenantView {
    return new TenantView(this, assertSafeId(tenantId, 'tenantId'))
  }

  /** Storage reachability and sessions by status. */
  async health(): Promise<HealthReport> {
    const byStatus = Object.fromEntries(SESSION_STATUSES.map((status) => [status, 0])) as Record<SessionStatus, number>
    for (const session of this.sessions.values()) byStatus[session.status]++
    const started = performance.now()
    let storage: HealthReport['storage']
    try {
      await this.storage.ping()
      storage = { ok: true, kind: this.storage.kind, latencyMs: Math.round(performance.now() - started) }
    } catch (error) {
      const wrapped = toStorageError(error, 'ping')
      storage = { ok: false, kind: this.storage.kind, latencyMs: Math.round(performance.now() - started), error: { code: wrapped.code, message: wrapped.message } }
    }
    return { ok: storage.ok && this.state === 'started', storage, sessions: { total: this.sessions.size, byStatus } }
  }

  private assertStarted(): void {
    if (this.state === 'started') return
    throw new SessionError(this.state === 'idle' ? 'MANAGER_NOT_STARTED' : 'MANAGER_STOPPED', 'Call manager.start() first')
  }

  private async publish<E extends SessionEventName>(session: Session, event: E, data: SessionEventMap[E], after?: Promise<void>): Promise<void> {
    const envelope: AnyManagerEvent = { event, sessionId: session.id, tenantId: session.tenantId, data }
    if (this.host.hasListeners(event)) await this.host.publish(envelope)
    if (after) await after
    this.dispatch(event, { sessionId: session.id, tenantId: session.tenantId, data })
    this.dispatch('*', envelope)
  }

  /** A plugin listener failed: tell the session's listeners (not the plugins, which could fail again). */
  private onPluginListenerError(plugin: string, error: unknown, event: AnyManagerEvent): void {
    const wrapped =
      error instanceof WafleetError ? error : new SessionError('PLUGIN_ERROR', `Plugin "${plugin}" failed on ${event.event}`, { cause: error })
    this.logger.error({ err: error, plugin, event: event.event, sessionId: event.sessionId }, 'plugin listener failed')
    const data = { code: wrapped.code, message: wrapped.message, details: { plugin, event: event.event } }
    this.dispatch('session.error', { sessionId: event.sessionId, tenantId: event.tenantId, data })
    this.dispatch('*', { event: 'session.error', sessionId: event.sessionId, tenantId: event.tenantId, data })
  }
}
