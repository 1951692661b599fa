/**
 * The storage adapter contract. Adapters store bytes and plain records; the SDK owns serialization
 * and encryption of credentials and Signal keys. See docs/storage-adapters.md for the rules every
 * adapter must follow (and `runStorageConformance` in `wafleet/testing` to prove it).
 */

/** Lifecycle status of a session, as shown to users. */
export type SessionStatus =
  | 'stopped'
  | 'starting'
  | 'qr'
  | 'pairing'
  | 'connected'
  | 'reconnecting'
  | 'logged_out'
  | 'failed'

export const SESSION_STATUSES: readonly SessionStatus[] = [
  'stopped',
  'starting',
  'qr',
  'pairing',
  'connected',
  'reconnecting',
  'logged_out',
  'failed',
]

/** What the user asked for: restored on start-up when `running`. */
export type DesiredState = 'running' | 'stopped'

export interface SessionStats {
  contacts: number
  groups: number
  chats: number
  messagesSent: number
  messagesReceived: number
}

export interface LastDisconnect {
  /** Baileys' status code (e.g. 401, 428, 515), or null when the close carried none. */
  code: number | null
  /** Short machine-readable reason, e.g. `logged_out`, `connection_lost`. */
  reason: string
  message: string
  /** ISO-8601 timestamp. */
  at: string
}

/** A webhook endpoint as stored on a session. Validated by the webhooks plugin, opaque to storage. */
export interface StoredWebhookEndpoint {
  url: string
  events?: string[]
  secret?: string
  headers?: Record<string, string>
  retry?: Record<string, unknown>
  timeoutMs?: number
  [extra: string]: unknown
}

/** A proxy as stored on a session. Validated by the proxy plugin, opaque to storage. */
export interface StoredProxyConfig {
  url?: string
  protocol?: string
  host?: string
  port?: number
  username?: string
  password?: string
  [extra: string]: unknown
}

/** Token bucket for outgoing messages of one session. */
export interface RateLimitConfig {
  /** Sustained sends per second. */
  perSecond: number
  /** Sends allowed at once before the rate applies. */
  burst: number
}

export interface SessionRecord {
  id: string
  /** `null` when the session belongs to no tenant. */
  tenantId: string | null
  /** Unique within a tenant (and among sessions without a tenant). */
  name: string
  status: SessionStatus
  desiredState: DesiredState
  phoneNumber: string | null
  jid: string | null
  lid: string | null
  webhooks: StoredWebhookEndpoint[]
  proxy: StoredProxyConfig | null
  /** Per-session send rate; `null` uses the manager's default. */
  rateLimit: RateLimitConfig | null
  metadata: Record<string, unknown>
  stats: SessionStats
  lastDisconnect: LastDisconnect | null
  /** ISO-8601; when the session last reached `connected`, null while not connected. */
  connectedAt: string | null
  createdAt: Date
  updatedAt: Date
  /** Incremented by every update; used for optimistic concurrency. */
  version: number
}

export type NewSessionRecord = Omit<SessionRecord, 'createdAt' | 'updatedAt' | 'version'>

export type SessionPatch = Partial<Omit<SessionRecord, 'id' | 'createdAt' | 'updatedAt' | 'version'>>

export interface SessionListQuery {
  /** `undefined` lists every tenant; `null` lists sessions without a tenant. */
  tenantId?: string | null
  status?: SessionStatus | SessionStatus[]
  desiredState?: DesiredState
  /** @default 100 */
  limit?: number
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string
}

export interface SessionListPage {
  items: SessionRecord[]
  nextCursor: string | null
}

export interface SessionRepository {
  /** Throws `SESSION_NAME_TAKEN` when (tenantId, name) exists and `STORAGE_CONFLICT` when the id exists. */
  create(input: NewSessionRecord): Promise<SessionRecord>
  /** `null` only when the session does not exist; any failure rejects. */
  get(id: string): Promise<SessionRecord | null>
  getByName(tenantId: string | null, name: string): Promise<SessionRecord | null>
  /**
   * Applies the patch and increments `version`. Keys whose value is `undefined` change nothing (as if
   * absent); `null` clears a nullable field. Throws `SESSION_NOT_FOUND` when missing,
   * `VERSION_CONFLICT` when `expectedVersion` is given and differs, `SESSION_NAME_TAKEN` on a rename clash.
   */
  update(id: string, patch: SessionPatch, options?: { expectedVersion?: number }): Promise<SessionRecord>
  /** Ordered by (createdAt, id); every row appears exactly once across pages. */
  list(query?: SessionListQuery): Promise<SessionListPage>
  /** Removes the session and everything stored for it (cascade). Idempotent: `false` when it did not exist. */
  delete(id: string): Promise<boolean>
}

/** Keys grouped by category then id; `null` deletes. Categories are an open set. */
export type KeyChanges = Record<string, Record<string, Uint8Array | null>>

export interface AuthCommit {
  keys?: KeyChanges
  /** The whole serialized credentials, replacing what is stored. */
  creds?: Uint8Array
  /** When the adapter supports leases: reject with `LEASE_LOST` unless this token still owns the session. */
  fencingToken?: bigint
}

export interface AuthRepository {
  readCreds(sessionId: string): Promise<Uint8Array | null>
  /**
   * Missing ids are absent from the map. Must accept any number of ids (chunk internally). Ids and
   * categories compare exactly: case-sensitive, byte for byte, never as patterns.
   */
  getKeys(sessionId: string, category: string, ids: readonly string[]): Promise<Map<string, Uint8Array>>
  /**
   * One atomic transaction: every key change and the creds are applied, or none. A value that is not a
   * `Uint8Array` rejects the whole batch (`CODEC_ERROR`); an unknown session is `SESSION_NOT_FOUND`.
   */
  commit(sessionId: string, change: AuthCommit): Promise<void>
  /** Removes credentials and all keys of the session (logout). The session record stays. */
  clear(sessionId: string): Promise<void>
  /**
   * Pages through every stored key of a session in (category, id) order, starting after `after`.
   * Used by maintenance tasks such as re-encryption; not on any hot path.
   */
  scanKeys(sessionId: string, options?: { after?: KeyPosition; /** @default 1000 */ limit?: number }): Promise<StoredKey[]>
}

export interface KeyPosition {
  category: string
  id: string
}

export interface StoredKey extends KeyPosition {
  value: Uint8Array
}

export interface StoredMessage {
  /** WhatsApp message id. */
  id: string
  remoteJid: string
  /** Serialized `proto.IMessage`. */
  message: Uint8Array
  /** ms since epoch. */
  timestamp: number
}

/** Sent-message store, so Baileys' `getMessage` can answer retry requests. */
export interface MessageRepository {
  /** Stores the messages and prunes the session's oldest beyond `limit`. */
  put(sessionId: string, messages: StoredMessage[], limit: number): Promise<void>
  get(sessionId: string, messageId: string): Promise<StoredMessage | null>
}

export type OutboxStatus = 'pending' | 'delivered' | 'dead'

export interface OutboxItem {
  id: string
  sessionId: string | null
  /** Which consumer owns the item, e.g. an endpoint id of the webhooks plugin. */
  target: string
  event: string
  payload: Uint8Array
  status: OutboxStatus
  attempts: number
  lastError: string | null
  /** ms since epoch */
  availableAt: number
  createdAt: number
  updatedAt: number
}

export interface NewOutboxItem {
  /** Caller-chosen unique id (used for de-duplication by receivers). Enqueuing an existing id is a no-op. */
  id: string
  sessionId: string | null
  target: string
  event: string
  payload: Uint8Array
  /** ms since epoch; defaults to now. */
  availableAt?: number
}

/** Durable queue for webhook deliveries. */
export interface OutboxRepository {
  enqueue(items: NewOutboxItem[]): Promise<void>
  /**
   * Optional: `enqueue`, with each new item claimed by `workerId` for `visibilityMs` in the same
   * write, as if `claim` had returned it. Resolves to the ids it inserted, so claimed (an id that
   * existed is left as it was, and not claimed). The webhooks worker hands fresh events to itself
   * this way when it has room and nothing else is due: no claim round trip, one row update less.
   */
  enqueueClaimed?(items: NewOutboxItem[], workerId: string, visibilityMs: number): Promise<string[]>
  /** Claims up to `limit` due pending items not claimed by someone else (or whose claim expired). */
  claim(workerId: string, limit: number, visibilityMs: number): Promise<OutboxItem[]>
  /**
   * Marks a claimed item delivered. `attempts` is how many attempts this claim made (a worker may
   * retry a short wait within its claim); adds 1 when absent.
   */
  ack(id: string, workerId: string, attempts?: number): Promise<void>
  /**
   * Optional: `ack` for several items in one round trip (and one transaction), with the same
   * meaning for each id. The webhooks worker batches its acks through it when present and falls
   * back to `ack` per item otherwise; at thousands of deliveries a second, one commit per ack is
   * what limits a SQL outbox.
   */
  ackMany?(ids: readonly string[], workerId: string): Promise<void>
  /**
   * Reschedules at `retryAt` (ms), or dead-letters when `retryAt` is null. Adds `attempts` (the
   * attempts this claim made, 1 when absent) to the item's count.
   */
  fail(id: string, workerId: string, error: string, retryAt: number | null, attempts?: number): Promise<void>
  list(query?: { sessionId?: string; status?: OutboxStatus; target?: string; limit?: number }): Promise<OutboxItem[]>
  /** Moves dead items back to pending (attempts reset). Returns how many moved. */
  redrive(ids: readonly string[]): Promise<number>
  /** Removes delivered items older than `olderThan` (ms). Returns how many. */
  purge(olderThan: number): Promise<number>
}

export interface Lease {
  ownerId: string
  token: bigint
  /** ms since epoch */
  expiresAt: number
}

/** One live owner per session across processes, with a fencing token. */
export interface LeaseRepository {
  acquire(sessionId: string, ownerId: string, ttlMs: number): Promise<Lease | null>
  renew(sessionId: string, ownerId: string, token: bigint, ttlMs: number): Promise<boolean>
  release(sessionId: string, ownerId: string, token: bigint): Promise<void>
  owner(sessionId: string): Promise<Lease | null>
}

export interface StorageAdapter {
  /** Free-form name for logs (`memory`, `postgres`, ...). Never used to detect capabilities. */
  readonly kind: string
  readonly interfaceVersion: 1
  /** Connects and migrates. Idempotent; safe to call concurrently. */
  init(): Promise<void>
  /**
   * Releases what the adapter opened (never a pool or database the user passed in). Idempotent; after
   * it, every method rejects with `STORAGE_CLOSED`.
   */
  close(): Promise<void>
  /** Resolves when the backend answers; rejects otherwise. */
  ping(): Promise<void>
  readonly sessions: SessionRepository
  readonly auth: AuthRepository
  /** Optional capability: sent-message store. Without it the SDK keeps a bounded in-memory store. */
  readonly messages?: MessageRepository
  /** Optional capability: durable outbox (webhooks). */
  readonly outbox?: OutboxRepository
  /** Optional capability: session leases (scale-out). */
  readonly leases?: LeaseRepository
}

export interface StorageCapabilities {
  messages: boolean
  outbox: boolean
  leases: boolean
}

/** Capabilities are read from the object's shape, never from its `kind`. */
export function storageCapabilities(storage: StorageAdapter): StorageCapabilities {
  return {
    messages: typeof storage.messages?.put === 'function' && typeof storage.messages.get === 'function',
    outbox: typeof storage.outbox?.claim === 'function' && typeof storage.outbox.enqueue === 'function',
    leases: typeof storage.leases?.acquire === 'function',
  }
}
