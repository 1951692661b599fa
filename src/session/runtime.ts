import type { SocketConfig, WAVersion } from '@whiskeysockets/baileys'
import type { ValueCodec } from '../auth/codec.js'
import type { SessionEventMap, SessionEventName } from '../events.js'
import type { Logger } from '../logger.js'
import type { PluginHost } from '../plugins/host.js'
import type { SessionConfigInput } from '../plugins/types.js'
import type { SocketFactory } from '../socket/types.js'
import type { MessageRepository, RateLimitConfig, StorageAdapter } from '../storage/types.js'
import type { Session } from './session.js'

/** Reconnection policy. Delays follow p-retry: `min(maxDelayMs, minDelayMs * factor^n)`, times 1-2 with jitter. */
export interface ReconnectOptions {
  /**
   * Consecutive failed attempts after which the circuit breaker moves the session to `failed`
   * (credentials are kept). 515 restarts do not count.
   * @default 10
   */
  maxAttempts?: number
  /** @default 1000 */
  minDelayMs?: number
  /** @default 60000 */
  maxDelayMs?: number
  /** @default 2 */
  factor?: number
  /** Randomize delays so sessions that dropped together do not reconnect together. @default true */
  jitter?: boolean
}

/** Options shared by every session of a manager, with defaults applied. */
export interface SessionOptions {
  reconnect: Required<ReconnectOptions>
  /** Baileys config merged into every socket; `auth`, `logger` and `getMessage` are set by wafleet. */
  baileys: Partial<SocketConfig>
  maxMediaBytes: number
  mediaTimeoutMs: number
  /** Refuse media URLs on loopback or private addresses. */
  blockPrivateNetworks: boolean
  /** Sent messages kept per session for Baileys' retry requests. */
  sentMessageLimit: number
  rateLimit: RateLimitConfig | null
  maxQueuedSends: number
  statsFlushMs: number
  pairingTimeoutMs: number
  versionProvider: () => Promise<WAVersion | undefined>
}

/** What a session needs from its manager. */
export interface SessionRuntime {
  readonly storage: StorageAdapter
  readonly codec: ValueCodec
  readonly socketFactory: SocketFactory
  readonly logger: Logger
  readonly options: SessionOptions
  readonly plugins: PluginHost
  readonly messages: MessageRepository
  /** Delivers an event to plugins (awaited) and then, once `after` has settled, to the manager's listeners. */
  publish<E extends SessionEventName>(session: Session, event: E, data: SessionEventMap[E], after?: Promise<void>): Promise<void>
  /** Runs the manager's and the plugins' checks on user-editable session fields. */
  validate(input: SessionConfigInput & { name?: string }, context: { sessionId: string | undefined; tenantId: string | null }): Promise<void>
}
