import type { OutboxItem, OutboxStatus } from '../types.js'

/** Outbox columns as both SQL adapters store them (times in ms since the epoch). */
export const OUTBOX_COLUMNS = [
  'seq',
  'id',
  'session_id',
  'target',
  'event',
  'payload',
  'status',
  'attempts',
  'last_error',
  'available_at',
  'created_at',
  'updated_at',
] as const

export type OutboxRow = Record<(typeof OUTBOX_COLUMNS)[number], unknown> & { payload: Uint8Array }

export function outboxFromRow(row: OutboxRow): OutboxItem {
  return {
    id: String(row.id),
    sessionId: row.session_id === null ? null : String(row.session_id),
    target: String(row.target),
    event: String(row.event),
    payload: row.payload,
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    lastError: row.last_error === null ? null : String(row.last_error),
    availableAt: Number(row.available_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** `list` returns at most this many when the caller gives no limit (the memory adapter agrees). */
export const DEFAULT_OUTBOX_LIST_LIMIT = 1000

export const outboxListLimit = (limit: number | undefined): number =>
  limit === undefined ? DEFAULT_OUTBOX_LIST_LIMIT : Math.max(0, Math.trunc(limit))
