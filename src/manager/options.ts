import { fetchLatestWaWebVersion, type SocketConfig, type WAVersion } from '@whiskeysockets/baileys'
import type { EncryptionOptions } from '../auth/encryption.js'
import { ValidationError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Plugin } from '../plugins/types.js'
import type { ReconnectOptions, SessionOptions } from '../session/runtime.js'
import type { SocketFactory } from '../socket/types.js'
import type { RateLimitConfig, StorageAdapter } from '../storage/types.js'

export interface RestoreOptions {
  /** Restore sessions on `start()`. @default true */
  enabled?: boolean
  /** Sessions connecting at the same time during restore. @default 5 */
  concurrency?: number
  /** How long restore waits for one session's first outcome before moving on. @default 30000 */
  timeoutMs?: number
}

export interface SessionManagerOptions {
  /** Where sessions, credentials and keys live. @default createMemoryStorage() */
  storage?: StorageAdapter
  /** Builds Baileys sockets. Tests pass the mock from `wafleet/testing`. @default Baileys' makeWASocket */
  socketFactory?: SocketFactory
  plugins?: Plugin[]
  /** pino or any pino-compatible logger; secrets are redacted before they reach it. @default pino at WAFLEET_LOG_LEVEL or info */
  logger?: Logger
  reconnect?: ReconnectOptions
  restore?: RestoreOptions
  /** Baileys socket config for every session (browser, version, timeouts, ...). @default {} */
  baileys?: Partial<SocketConfig>
  /** Encrypt credentials and Signal keys at rest (AES-256-GCM). @default none */
  encryption?: EncryptionOptions
  /** Largest media accepted for sending, in bytes. @default 52428800 (50 MB) */
  maxMediaBytes?: number
  /** Timeout of a media download from a URL. @default 30000 */
  mediaTimeoutMs?: number
  /**
   * Refuse media URLs whose host (or a redirect's) resolves to a loopback or private address, so
   * callers of a gateway cannot make it fetch internal services. @default false
   */
  blockPrivateNetworks?: boolean
  /** Sent messages kept per session so Baileys can answer retry requests. @default 1000 */
  sentMessageLimit?: number
  /** Default send rate of every session (a session's own `rateLimit` wins). @default null (unlimited) */
  rateLimit?: RateLimitConfig | null
  /** Sends waiting per session before new ones are refused with RATE_LIMITED. @default 1000 */
  maxQueuedSends?: number
  /** How often changed stats are written and emitted. @default 10000 */
  statsFlushMs?: number
  /** How long `requestPairingCode` waits for the socket to be ready. @default 30000 */
  pairingTimeoutMs?: number
  /** Fetches the current WhatsApp Web version after a 405. @default Baileys' fetchLatestWaWebVersion */
  versionProvider?: () => Promise<WAVersion | undefined>
  /** Route libsignal's console output (which can include key material) to the logger. @default true */
  captureLibsignalConsole?: boolean
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  maxAttempts: 10,
  minDelayMs: 1_000,
  maxDelayMs: 60_000,
  factor: 2,
  jitter: true,
}

const defaultVersionProvider = async (): Promise<WAVersion | undefined> => {
  const { version, isLatest } = await fetchLatestWaWebVersion()
  return isLatest ? version : undefined
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError('INVALID_CONFIG', `${field} ${message}`, { details: { field } })
}

function positiveInteger(value: number | undefined, field: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min) throw invalid(field, `must be an integer >= ${min}`)
  return value
}

export function validateRateLimit(value: unknown, field: string): RateLimitConfig | null {
  if (value === null || value === undefined) return null
  const limit = value as RateLimitConfig
  if (typeof limit !== 'object' || !(limit.perSecond > 0) || !Number.isFinite(limit.perSecond) || !Number.isInteger(limit.burst) || limit.burst < 1) {
    throw new ValidationError('VALIDATION_ERROR', `${field} must be { perSecond > 0, burst >= 1 }`, { details: { field } })
  }
  return { perSecond: limit.perSecond, burst: limit.burst }
}

/** Defaults first, the user's options on top, validated; the input is never mutated. */
export function resolveSessionOptions(options: SessionManagerOptions): SessionOptions {
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect }
  positiveInteger(reconnect.maxAttempts, 'reconnect.maxAttempts', 1)
  positiveInteger(reconnect.minDelayMs, 'reconnect.minDelayMs', 0, 0)
  positiveInteger(reconnect.maxDelayMs, 'reconnect.maxDelayMs', 0, 0)
  if (reconnect.maxDelayMs < reconnect.minDelayMs) throw invalid('reconnect.maxDelayMs', 'must be >= reconnect.minDelayMs')
  if (!(reconnect.factor >= 1)) throw invalid('reconnect.factor', 'must be >= 1')
  return {
    reconnect,
    baileys: { ...options.baileys },
    maxMediaBytes: positiveInteger(options.maxMediaBytes, 'maxMediaBytes', 50 * 1024 * 1024),
    mediaTimeoutMs: positiveInteger(options.mediaTimeoutMs, 'mediaTimeoutMs', 30_000),
    blockPrivateNetworks: options.blockPrivateNetworks ?? false,
    sentMessageLimit: positiveInteger(options.sentMessageLimit, 'sentMessageLimit', 1_000),
    rateLimit: validateRateLimit(options.rateLimit, 'rateLimit'),
    maxQueuedSends: positiveInteger(options.maxQueuedSends, 'maxQueuedSends', 1_000),
    statsFlushMs: positiveInteger(options.statsFlushMs, 'statsFlushMs', 10_000),
    pairingTimeoutMs: positiveInteger(options.pairingTimeoutMs, 'pairingTimeoutMs', 30_000),
    versionProvider: options.versionProvider ?? defaultVersionProvider,
  }
}

export function resolveRestoreOptions(options: RestoreOptions = {}): Required<RestoreOptions> {
  return {
    enabled: options.enabled ?? true,
    concurrency: positiveInteger(options.concurrency, 'restore.concurrency', 5),
    timeoutMs: positiveInteger(options.timeoutMs, 'restore.timeoutMs', 30_000),
  }
}
