import { StorageError, ValidationError } from '../errors.js'
import type { NewSessionRecord, SessionListQuery, SessionRecord, SessionStats, SessionStatus } from './types.js'

export const EMPTY_STATS: Readonly<SessionStats> = Object.freeze({
  contacts: 0,
  groups: 0,
  chats: 0,
  messagesSent: 0,
  messagesReceived: 0,
})

/** Defaults for a new record; callers override what they know. */
export function newSessionRecord(fields: Pick<NewSessionRecord, 'id' | 'name'> & Partial<NewSessionRecord>): NewSessionRecord {
  return {
    tenantId: null,
    status: 'stopped',
    desiredState: 'stopped',
    phoneNumber: null,
    jid: null,
    lid: null,
    webhooks: [],
    proxy: null,
    rateLimit: null,
    metadata: {},
    stats: { ...EMPTY_STATS },
    lastDisconnect: null,
    connectedAt: null,
    ...fields,
  }
}

export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 1000

export interface ListPosition {
  createdAt: number
  id: string
}

/** Cursors are opaque to callers: base64url of the last row's (createdAt, id). */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return { createdAt: parsed[0], id: parsed[1] }
    }
  } catch {
    // falls through to the coded error below; the parse failure itself carries no extra information
  }
  throw new ValidationError('VALIDATION_ERROR', 'Invalid list cursor', { details: { field: 'cursor' } })
}

export function normalizeListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('VALIDATION_ERROR', 'limit must be a positive integer', { details: { field: 'limit' } })
  }
  return Math.min(limit, MAX_LIST_LIMIT)
}

export function listStatuses(query: SessionListQuery): SessionStatus[] | undefined {
  if (query.status === undefined) return undefined
  return Array.isArray(query.status) ? query.status : [query.status]
}

/** Compares records in list order: (createdAt, id). */
export function comparePosition(a: ListPosition, b: ListPosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function positionOf(record: SessionRecord): ListPosition {
  return { createdAt: record.createdAt.getTime(), id: record.id }
}

/** Adapters store bytes: anything else in a batch is a caller bug, reported before anything is written. */
export function assertBytes(value: unknown, where: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new StorageError('CODEC_ERROR', `Expected bytes (Uint8Array) for ${where}`, { details: { where } })
  }
}

export const DEFAULT_SCAN_LIMIT = 1000

export function normalizeScanLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_SCAN_LIMIT
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('VALIDATION_ERROR', 'limit must be a positive integer', { details: { field: 'limit' } })
  }
  return limit
}
