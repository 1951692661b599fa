/** How the wait between two delivery attempts grows. */
export type RetryPolicyName = 'exponential' | 'linear' | 'constant'

export interface RetryPolicy {
  /** @default 'exponential' (with ±20 % jitter) */
  policy?: RetryPolicyName
  /** Attempts in total, the first one included; 1 means no retry. @default 10 */
  attempts?: number
  /** Base delay: the first wait (exponential, constant) or the step (linear). @default 1000 */
  delayMs?: number
  /** No wait is longer than this (a `Retry-After` from the receiver may be, up to one hour). @default 300000 */
  maxDelayMs?: number
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { policy: 'exponential', attempts: 10, delayMs: 1_000, maxDelayMs: 300_000 }

/** A receiver asking for a longer pause than this is not followed further. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000
const JITTER = 0.2

/**
 * Wait before the attempt after `failedAttempt` (1-based). Exponential doubles from `delayMs` with
 * ±20 % jitter so deliveries that failed together do not come back together; linear grows by
 * `delayMs` per attempt; constant always waits `delayMs`. A receiver's `Retry-After` wins when it
 * asks for longer.
 */
export function retryDelayMs(policy: Required<RetryPolicy>, failedAttempt: number, retryAfterMs?: number): number {
  const { delayMs, maxDelayMs } = policy
  let delay: number
  if (policy.policy === 'constant') delay = delayMs
  else if (policy.policy === 'linear') delay = delayMs * failedAttempt
  else delay = delayMs * 2 ** (failedAttempt - 1) * (1 - JITTER + 2 * JITTER * Math.random())
  delay = Math.round(Math.min(maxDelayMs, Math.max(delayMs, delay)))
  if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS))
  return delay
}

/**
 * Whether a response status is worth another attempt. 4xx means the receiver refused this request
 * and will refuse it again, except 408 (timeout), 425 (too early) and 429 (slow down). 3xx is
 * not followed (a redirect to another host would dodge the private-network check) and not retried.
 */
export function isRetryableStatus(status: number): boolean {
  if (status >= 500) return true
  return status === 408 || status === 425 || status === 429
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw === undefined || raw.trim() === '') return undefined
  const text = raw.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
