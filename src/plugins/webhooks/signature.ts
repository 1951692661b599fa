import { createHmac, timingSafeEqual } from 'node:crypto'
import { ValidationError } from '../../errors.js'

export const SIGNATURE_HEADER = 'x-wafleet-signature'
export const TIMESTAMP_HEADER = 'x-wafleet-timestamp'
const PREFIX = 'sha256='

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`; the timestamp is in seconds since the epoch. */
export function signWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret)
  hmac.update(`${timestamp}.`)
  hmac.update(body)
  return `${PREFIX}${hmac.digest('hex')}`
}

/** Headers as Node gives them (`req.headers`), a plain record, or a fetch `Headers`. */
export type WebhookHeaders = Record<string, string | string[] | undefined> | { get(name: string): string | null }

export interface VerifyWebhookSignatureInput {
  /** The endpoint's secret; several during a rotation (any one may match). */
  secret: string | readonly string[]
  headers: WebhookHeaders
  /** The raw request body, exactly as received: parsing and re-serializing JSON changes the bytes. */
  body: string | Uint8Array
  /** Largest accepted age (and clock skew) of `X-Wafleet-Timestamp`, in seconds. @default 300 */
  toleranceSec?: number
  /** Current time in ms, for tests. @default Date.now() */
  now?: number
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined
  const record = headers as Record<string, string | string[] | undefined>
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name)
  const value = key === undefined ? undefined : record[key]
  return Array.isArray(value) ? value[0] : value
}

/**
 * For receivers: true when `X-Wafleet-Signature` is a valid HMAC of the timestamp and the raw body
 * under `secret`, and `X-Wafleet-Timestamp` is within `toleranceSec` of now (replays of an old
 * delivery are refused). Compares in constant time. Use `X-Wafleet-Delivery` to drop duplicates.
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): boolean {
  const { body, toleranceSec = 300, now = Date.now() } = input
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new ValidationError('VALIDATION_ERROR', 'verifyWebhookSignature needs the raw body (string or bytes), not parsed JSON')
  }
  const secrets = typeof input.secret === 'string' ? [input.secret] : [...input.secret]
  if (!secrets.length || secrets.some((secret) => typeof secret !== 'string' || !secret)) {
    throw new ValidationError('VALIDATION_ERROR', 'verifyWebhookSignature needs a non-empty secret')
  }
  const signature = header(input.headers, SIGNATURE_HEADER)
  const timestamp = header(input.headers, TIMESTAMP_HEADER)
  if (!signature?.startsWith(PREFIX) || !timestamp || !/^\d{1,15}$/.test(timestamp)) return false
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSec) return false
  const received = Buffer.from(signature.slice(PREFIX.length), 'hex')
  return secrets.some((secret) => {
    const expected = Buffer.from(signWebhook(secret, timestamp, body).slice(PREFIX.length), 'hex')
    return received.length === expected.length && timingSafeEqual(received, expected)
  })
}
