import { createHash } from 'node:crypto'
import { ValidationError } from '../../errors.js'
import { isSessionEventName } from '../../events.js'
import { DEFAULT_RETRY, type RetryPolicy, type RetryPolicyName } from './retry.js'

/** One HTTP receiver of events, global (plugin options) or per session (`session.webhooks`). */
export interface WebhookEndpoint {
  /**
   * Names the endpoint within its list (A-Z a-z 0-9 . _ ~ -). Pending deliveries follow the id, so
   * changing the `url` of an id sends them to the new url.
   * @default the first 16 hex digits of SHA-256(url)
   */
  id?: string
  /** `http://` or `https://`. Credentials in the URL are sent as basic auth and never logged. */
  url: string
  /** Event names (see `SESSION_EVENTS`) or `'*'` for all. `creds.update` can never be subscribed. @default ['*'] */
  events?: string[]
  /** Signs every delivery (`X-Wafleet-Signature`); at least 16 characters. @default none (unsigned) */
  secret?: string
  /** Extra request headers, e.g. an `Authorization`. `X-Wafleet-*`, `Content-Type`, `Host` and the like are reserved. @default {} */
  headers?: Record<string, string>
  /** @default the plugin's `retry` (exponential, 10 attempts, 1 s doubling up to 5 min, with jitter) */
  retry?: RetryPolicy
  /** Time allowed for one attempt, connection included. @default the plugin's `timeoutMs` (10000) */
  timeoutMs?: number
  /** Attempts in flight to this endpoint at once. @default the plugin's `concurrency` (10) */
  concurrency?: number
}

export interface EndpointDefaults {
  retry: Required<RetryPolicy>
  timeoutMs: number
  concurrency: number
  /** An attempt must fit well inside the outbox claim (half of the visibility timeout). */
  maxTimeoutMs: number
}

/** An endpoint after validation, with every default applied. */
export interface ResolvedEndpoint {
  id: string
  url: URL
  /** null: every event. */
  events: ReadonlySet<string> | null
  secret: string | undefined
  headers: Readonly<Record<string, string>>
  retry: Required<RetryPolicy>
  timeoutMs: number
  concurrency: number
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect'])
const POLICIES: readonly RetryPolicyName[] = ['exponential', 'linear', 'constant']
const MIN_SECRET_LENGTH = 16

const invalid = (field: string, message: string) => new ValidationError('WEBHOOK_INVALID', `${field} ${message}`, { details: { field } })
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function integerIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`)
  }
  return value
}

export function endpointId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16)
}

export function resolveRetry(value: unknown, field: string, fallback: Required<RetryPolicy>): Required<RetryPolicy> {
  if (value === undefined) return fallback
  if (!isPlainObject(value)) throw invalid(field, 'must be an object')
  const unknown = Object.keys(value).filter((key) => !(key in DEFAULT_RETRY))
  if (unknown.length) throw invalid(field, `has unknown fields: ${unknown.join(', ')}`)
  const retry = { ...fallback, ...(value as RetryPolicy) }
  if (!POLICIES.includes(retry.policy)) throw invalid(`${field}.policy`, `must be one of ${POLICIES.join(', ')}`)
  integerIn(retry.attempts, `${field}.attempts`, 1, 100)
  integerIn(retry.delayMs, `${field}.delayMs`, 1, 24 * 3_600_000)
  integerIn(retry.maxDelayMs, `${field}.maxDelayMs`, retry.delayMs, 24 * 3_600_000)
  return retry
}

function resolveEvents(value: unknown, field: string): ReadonlySet<string> | null {
  if (value === undefined) return null
  if (!Array.isArray(value) || !value.length) throw invalid(field, "must be a non-empty array of event names or ['*']")
  const events = new Set<string>()
  for (const name of value) {
    if (name === 'creds.update') throw invalid(field, 'cannot include creds.update: credentials never leave the process')
    if (name !== '*' && (typeof name !== 'string' || !isSessionEventName(name))) throw invalid(field, `has an unknown event: ${String(name)}`)
    events.add(name)
  }
  return events.has('*') ? null : events
}

function resolveHeaders(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) throw invalid(field, 'must be an object of header names to string values')
  const headers: Record<string, string> = {}
  for (const [name, headerValue] of Object.entries(value)) {
    const lower = name.toLowerCase()
    if (!HEADER_NAME.test(name)) throw invalid(field, `has an invalid header name: ${name}`)
    if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-wafleet-')) throw invalid(field, `cannot set the reserved header ${name}`)
    // Values are secrets often (tokens): the message names the header, never the value.
    if (typeof headerValue !== 'string' || /[\r\n\0]/.test(headerValue) || headerValue.length > 8192) {
      throw invalid(field, `has an invalid value for ${name} (a string without line breaks, at most 8192 characters)`)
    }
    headers[lower] = headerValue
  }
  return headers
}

function resolveUrl(value: unknown, field: string): URL {
  if (typeof value !== 'string') throw invalid(field, 'must be a string')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid(field, 'is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(field, 'must use http or https')
  if (url.hash) throw invalid(field, 'must not have a #fragment')
  return url
}

const KNOWN_FIELDS = new Set(['id', 'url', 'events', 'secret', 'headers', 'retry', 'timeoutMs', 'concurrency'])

/** Checks one endpoint and applies defaults; throws `WEBHOOK_INVALID` naming the field. Never echoes secrets. */
export function resolveEndpoint(value: unknown, field: string, defaults: EndpointDefaults): ResolvedEndpoint {
  if (!isPlainObject(value)) throw invalid(field, 'must be an object with a url')
  const unknown = Object.keys(value).filter((key) => !KNOWN_FIELDS.has(key))
  if (unknown.length) throw invalid(field, `has unknown fields: ${unknown.join(', ')}`)
  const endpoint = value as unknown as WebhookEndpoint
  const url = resolveUrl(endpoint.url, `${field}.url`)
  if (endpoint.id !== undefined && (typeof endpoint.id !== 'string' || !SAFE_ID.test(endpoint.id))) {
    throw invalid(`${field}.id`, 'must be 1-64 characters of A-Z a-z 0-9 . _ ~ - starting with a letter or digit')
  }
  if (endpoint.secret !== undefined && (typeof endpoint.secret !== 'string' || endpoint.secret.length < MIN_SECRET_LENGTH)) {
    throw invalid(`${field}.secret`, `must be a string of at least ${MIN_SECRET_LENGTH} characters`)
  }
  return {
    id: endpoint.id ?? endpointId(endpoint.url),
    url,
    events: resolveEvents(endpoint.events, `${field}.events`),
    secret: endpoint.secret,
    headers: resolveHeaders(endpoint.headers, `${field}.headers`),
    retry: resolveRetry(endpoint.retry, `${field}.retry`, defaults.retry),
    timeoutMs: endpoint.timeoutMs === undefined ? defaults.timeoutMs : integerIn(endpoint.timeoutMs, `${field}.timeoutMs`, 1, defaults.maxTimeoutMs),
    concurrency: endpoint.concurrency === undefined ? defaults.concurrency : integerIn(endpoint.concurrency, `${field}.concurrency`, 1, 1000),
  }
}

/** A whole list (global or one session's): every endpoint valid, ids unique. */
export function resolveEndpoints(value: unknown, field: string, defaults: EndpointDefaults): ResolvedEndpoint[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw invalid(field, 'must be an array')
  const resolved = value.map((endpoint, index) => resolveEndpoint(endpoint, `${field}[${index}]`, defaults))
  const seen = new Set<string>()
  resolved.forEach((endpoint, index) => {
    if (seen.has(endpoint.id)) throw invalid(`${field}[${index}]`, `repeats the endpoint id ${endpoint.id} (give each endpoint its own id or url)`)
    seen.add(endpoint.id)
  })
  return resolved
}

export function wantsEvent(endpoint: ResolvedEndpoint, event: string): boolean {
  return endpoint.events === null || endpoint.events.has(event)
}
