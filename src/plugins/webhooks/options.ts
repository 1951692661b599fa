import type { LookupFunction } from 'node:net'
import { ValidationError } from '../../errors.js'
import { resolveEndpoints, resolveRetry, type EndpointDefaults, type ResolvedEndpoint, type WebhookEndpoint } from './endpoint.js'
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js'

export interface WebhooksOptions {
  /** Endpoints that receive the events of every session (filtered by their `events`). @default [] */
  endpoints?: WebhookEndpoint[]
  /**
   * Refuse endpoints that resolve to loopback, private, link-local or otherwise internal addresses,
   * when they are configured and again for every connection (DNS rebinding). Turn it on when
   * untrusted users can set webhook URLs.
   * @default false
   */
  blockPrivateNetworks?: boolean
  /** Retry policy of endpoints that set none. @default { policy: 'exponential', attempts: 10, delayMs: 1000, maxDelayMs: 300000 } */
  retry?: RetryPolicy
  /** Time for one attempt, of endpoints that set none; at most half of `visibilityTimeoutMs`. @default 10000 (or half of visibilityTimeoutMs when that is less) */
  timeoutMs?: number
  /** Attempts in flight per endpoint, of endpoints that set none. @default 10 */
  concurrency?: number
  /**
   * How long a claimed delivery stays invisible to other workers. A process that dies with
   * deliveries claimed leaves them to the next worker after this long. Endpoint timeouts may be
   * at most half of it.
   * @default 120000
   */
  visibilityTimeoutMs?: number
  /** How often the outbox is checked for deliveries due (retries, other processes, expired claims). @default 1000 */
  pollIntervalMs?: number
  /** Deliveries claimed per outbox round trip; the worker claims once this many fit with at most half of `maxInFlight` taken. @default 100 */
  batchSize?: number
  /**
   * Deliveries this process holds at once (in flight or waiting for their endpoint). Claimed rows
   * stay at the head of the outbox index until acked, so a deep buffer makes every claim slower.
   * @default 200
   */
  maxInFlight?: number
  /** Delivered items are purged from the outbox after this long (dead letters stay until redriven). @default 604800000 (7 days) */
  retainDeliveredMs?: number
  /** DNS lookup for receivers (also what `blockPrivateNetworks` checks). @default dns.lookup */
  lookup?: LookupFunction
  /** `User-Agent` of every delivery. @default 'wafleet-webhooks' */
  userAgent?: string
}

export interface ResolvedWebhooksOptions {
  globals: ResolvedEndpoint[]
  defaults: EndpointDefaults
  blockPrivateNetworks: boolean
  visibilityTimeoutMs: number
  pollIntervalMs: number
  batchSize: number
  maxInFlight: number
  retainDeliveredMs: number
  lookup: LookupFunction | undefined
  userAgent: string
}

const DEFAULTS = {
  endpoints: [] as WebhookEndpoint[],
  blockPrivateNetworks: false,
  retry: DEFAULT_RETRY as RetryPolicy,
  timeoutMs: 10_000,
  concurrency: 10,
  visibilityTimeoutMs: 120_000,
  pollIntervalMs: 1_000,
  batchSize: 100,
  maxInFlight: 200,
  retainDeliveredMs: 7 * 24 * 3_600_000,
  userAgent: 'wafleet-webhooks',
}

function integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError('INVALID_CONFIG', `webhooks: ${field} must be an integer from ${min} to ${max}`, { details: { field } })
  }
  return value
}

/** Defaults first, the user's options on top, validated; the input is never mutated. */
export function resolveWebhooksOptions(options: WebhooksOptions): ResolvedWebhooksOptions {
  if (typeof options !== 'object' || options === null) throw new ValidationError('INVALID_CONFIG', 'webhooks: options must be an object')
  const merged = { ...DEFAULTS, ...options }
  const visibilityTimeoutMs = integer(merged.visibilityTimeoutMs, 'visibilityTimeoutMs', 2)
  const maxTimeoutMs = Math.floor(visibilityTimeoutMs / 2)
  const defaults: EndpointDefaults = {
    retry: resolveRetry(merged.retry, 'retry', DEFAULT_RETRY),
    timeoutMs: options.timeoutMs === undefined ? Math.min(DEFAULTS.timeoutMs, maxTimeoutMs) : integer(options.timeoutMs, 'timeoutMs', 1, maxTimeoutMs),
    concurrency: integer(merged.concurrency, 'concurrency', 1, 1000),
    maxTimeoutMs,
  }
  if (merged.lookup !== undefined && typeof merged.lookup !== 'function') {
    throw new ValidationError('INVALID_CONFIG', 'webhooks: lookup must be a function', { details: { field: 'lookup' } })
  }
  if (typeof merged.userAgent !== 'string' || !merged.userAgent || /[\r\n]/.test(merged.userAgent)) {
    throw new ValidationError('INVALID_CONFIG', 'webhooks: userAgent must be a non-empty single-line string', { details: { field: 'userAgent' } })
  }
  return {
    globals: resolveEndpoints(merged.endpoints, 'endpoints', defaults),
    defaults,
    blockPrivateNetworks: merged.blockPrivateNetworks === true,
    visibilityTimeoutMs,
    pollIntervalMs: integer(merged.pollIntervalMs, 'pollIntervalMs', 1),
    batchSize: integer(merged.batchSize, 'batchSize', 1, 10_000),
    maxInFlight: integer(merged.maxInFlight, 'maxInFlight', 1),
    retainDeliveredMs: integer(merged.retainDeliveredMs, 'retainDeliveredMs', 0),
    lookup: merged.lookup,
    userAgent: merged.userAgent,
  }
}
