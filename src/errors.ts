/**
 * Every error wafleet throws is a `WafleetError` with a stable `code`. Families get a subclass so
 * callers can `instanceof` a whole category (storage, validation, ...) and still switch on `code`.
 */

export type WafleetErrorCode =
  // input validation
  | 'VALIDATION_ERROR'
  | 'INVALID_PHONE'
  | 'INVALID_RECIPIENT'
  | 'INVALID_CONFIG'
  | 'PAYLOAD_TOO_LARGE'
  // sessions
  | 'SESSION_NOT_FOUND'
  | 'SESSION_NAME_TAKEN'
  | 'SESSION_NOT_CONNECTED'
  | 'SESSION_ALREADY_CONNECTED'
  | 'SESSION_ALREADY_PAIRED'
  | 'SESSION_BUSY'
  | 'MANAGER_NOT_STARTED'
  | 'MANAGER_STOPPED'
  | 'OPERATION_ABORTED'
  // connection
  | 'PAIRING_FAILED'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_REPLACED'
  | 'LOGGED_OUT'
  | 'QR_TIMEOUT'
  | 'VERSION_OUTDATED'
  | 'ACCOUNT_FORBIDDEN'
  | 'MULTIDEVICE_MISMATCH'
  // messaging
  | 'SEND_FAILED'
  | 'MEDIA_DOWNLOAD_FAILED'
  | 'RATE_LIMITED'
  // storage
  | 'STORAGE_ERROR'
  | 'STORAGE_CLOSED'
  | 'STORAGE_CONFLICT'
  | 'VERSION_CONFLICT'
  | 'SCHEMA_TOO_NEW'
  | 'MIGRATION_FAILED'
  | 'DRIVER_MISSING'
  | 'LEASE_LOST'
  | 'CODEC_ERROR'
  // encryption at rest
  | 'ENCRYPTION_KEY_MISSING'
  | 'DECRYPTION_FAILED'
  // plugins
  | 'PLUGIN_ERROR'
  | 'WEBHOOK_INVALID'
  | 'WEBHOOK_DELIVERY_FAILED'
  | 'PROXY_INVALID'
  | 'PROXY_UNREACHABLE'
  // anything unexpected that reached a public boundary
  | 'INTERNAL_ERROR'

export interface WafleetErrorOptions {
  cause?: unknown
  /** Structured, secret-free context a caller may show (field names, limits, ...). */
  details?: Record<string, unknown>
}

export class WafleetError extends Error {
  readonly code: WafleetErrorCode
  readonly details: Record<string, unknown> | undefined

  constructor(code: WafleetErrorCode, message: string, options: WafleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.details = options.details
    Error.captureStackTrace?.(this, new.target)
  }

  toJSON(): { name: string; code: WafleetErrorCode; message: string; details?: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) }
  }
}

/** Bad input from the caller: nothing was attempted. */
export class ValidationError extends WafleetError {}
/** A session-level precondition failed (not found, not connected, ...). */
export class SessionError extends WafleetError {}
/** The connection to WhatsApp ended in a way the caller should know about. */
export class ConnectionError extends WafleetError {}
/** A send could not be completed. */
export class SendError extends WafleetError {}
/** The storage adapter failed. Never means "not found". */
export class StorageError extends WafleetError {}
/** Encryption at rest could not read or write a value. */
export class EncryptionError extends WafleetError {}
/** A plugin failed to set up or to do its job. */
export class PluginError extends WafleetError {}

export function isWafleetError(error: unknown, code?: WafleetErrorCode): error is WafleetError {
  return error instanceof WafleetError && (code === undefined || error.code === code)
}

/** Wraps anything thrown by a storage adapter so callers always get a coded error with the cause kept. */
export function toStorageError(error: unknown, operation: string): WafleetError {
  if (error instanceof WafleetError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new StorageError('STORAGE_ERROR', `Storage ${operation} failed: ${message}`, { cause: error, details: { operation } })
}
