import { ConnectionError, type WafleetErrorCode } from '../errors.js'
import type { LastDisconnect } from '../storage/types.js'

/**
 * What the session does after a socket closes. One table, from SPEC capability 4 and Baileys'
 * DisconnectReason (see docs/architecture.md):
 * - `restart`: 515 after pairing (or any time): reconnect at once, it is not a failure.
 * - `backoff`: transient (428, 408 network, 500, 503, unknown): reconnect with capped exponential backoff.
 * - `logged_out`: 401: wipe credentials and keys, never reconnect.
 * - `replaced`: 440: another client took over: stop, never fight it.
 * - `qr_timeout`: 408 "QR refs attempts ended": nobody scanned: stop, no QR loop.
 * - `outdated`: 405: refresh the WhatsApp Web version and retry once.
 * - `terminal`: 403 forbidden, 411 multi-device mismatch: stop and report.
 * - `intentional`: the socket was ended by us (`end(undefined)`): nothing to do.
 */
export type DisconnectAction = 'restart' | 'backoff' | 'logged_out' | 'replaced' | 'qr_timeout' | 'outdated' | 'terminal' | 'intentional'

export interface DisconnectOutcome {
  action: DisconnectAction
  code: number | null
  /** Machine-readable reason stored in `lastDisconnect.reason`. */
  reason: string
  message: string
}

export function statusCodeOf(error: unknown): number | null {
  const candidate = error as { output?: { statusCode?: unknown }; statusCode?: unknown } | undefined
  const code = candidate?.output?.statusCode ?? candidate?.statusCode
  return typeof code === 'number' && Number.isInteger(code) ? code : null
}

const BACKOFF_REASONS: Record<number, string> = {
  408: 'connection_lost',
  428: 'connection_closed',
  500: 'bad_session',
  503: 'service_unavailable',
}

export function classifyDisconnect(error: Error | undefined): DisconnectOutcome {
  if (error === undefined) return { action: 'intentional', code: null, reason: 'intentional', message: 'Closed by wafleet' }
  const code = statusCodeOf(error)
  const message = error.message || 'Connection closed'
  switch (code) {
    case 515:
      return { action: 'restart', code, reason: 'restart_required', message }
    case 401:
      return { action: 'logged_out', code, reason: 'logged_out', message }
    case 440:
      return { action: 'replaced', code, reason: 'connection_replaced', message }
    case 405:
      return { action: 'outdated', code, reason: 'outdated_version', message }
    case 403:
      return { action: 'terminal', code, reason: 'forbidden', message }
    case 411:
      return { action: 'terminal', code, reason: 'multidevice_mismatch', message }
    case 408:
      // Baileys uses 408 both for a dead network and for a QR nobody scanned; only the message tells them apart.
      if (/QR refs attempts ended/i.test(message)) return { action: 'qr_timeout', code, reason: 'qr_timeout', message }
      return { action: 'backoff', code, reason: 'connection_lost', message }
    default:
      return { action: 'backoff', code, reason: (code !== null && BACKOFF_REASONS[code]) || 'connection_error', message }
  }
}

export function toLastDisconnect(outcome: DisconnectOutcome, at = new Date()): LastDisconnect {
  return { code: outcome.code, reason: outcome.reason, message: outcome.message, at: at.toISOString() }
}

const OUTCOME_ERRORS: Partial<Record<DisconnectAction, WafleetErrorCode>> = {
  logged_out: 'LOGGED_OUT',
  replaced: 'CONNECTION_REPLACED',
  qr_timeout: 'QR_TIMEOUT',
  outdated: 'VERSION_OUTDATED',
}

/** The error a session reports for an outcome that ends its connection loop. */
export function outcomeError(outcome: DisconnectOutcome): ConnectionError {
  const code: WafleetErrorCode =
    OUTCOME_ERRORS[outcome.action] ??
    (outcome.reason === 'forbidden' ? 'ACCOUNT_FORBIDDEN' : outcome.reason === 'multidevice_mismatch' ? 'MULTIDEVICE_MISMATCH' : 'CONNECTION_FAILED')
  return new ConnectionError(code, `${outcome.message} (${outcome.reason}${outcome.code === null ? '' : `, ${outcome.code}`})`, {
    details: { code: outcome.code, reason: outcome.reason },
  })
}

/** Thrown out of a connection attempt; carries the classification so the retry policy can decide. */
export class DisconnectError extends Error {
  constructor(readonly outcome: DisconnectOutcome) {
    super(outcome.message)
    this.name = 'DisconnectError'
  }

  get retryable(): boolean {
    return this.outcome.action === 'backoff' || this.outcome.action === 'restart'
  }
}
