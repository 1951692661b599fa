import type { NewSessionRecord, SessionPatch, SessionRecord } from '../types.js'

/**
 * How a `SessionRecord` maps to SQL columns, shared by the SQLite and Postgres adapters so both
 * store the same shape. `json` columns hold JSON text (jsonb in Postgres); timestamps are read back
 * as milliseconds since the epoch in both dialects.
 */
type Field = keyof NewSessionRecord
type Kind = 'text' | 'json'

export const SESSION_FIELDS: readonly { field: Field; column: string; kind: Kind }[] = [
  { field: 'id', column: 'id', kind: 'text' },
  { field: 'tenantId', column: 'tenant_id', kind: 'text' },
  { field: 'name', column: 'name', kind: 'text' },
  { field: 'status', column: 'status', kind: 'text' },
  { field: 'desiredState', column: 'desired_state', kind: 'text' },
  { field: 'phoneNumber', column: 'phone_number', kind: 'text' },
  { field: 'jid', column: 'jid', kind: 'text' },
  { field: 'lid', column: 'lid', kind: 'text' },
  { field: 'webhooks', column: 'webhooks', kind: 'json' },
  { field: 'proxy', column: 'proxy', kind: 'json' },
  { field: 'rateLimit', column: 'rate_limit', kind: 'json' },
  { field: 'metadata', column: 'metadata', kind: 'json' },
  { field: 'stats', column: 'stats', kind: 'json' },
  { field: 'lastDisconnect', column: 'last_disconnect', kind: 'json' },
  { field: 'connectedAt', column: 'connected_at', kind: 'text' },
]

const byField = new Map(SESSION_FIELDS.map((f) => [f.field as string, f]))

/** A row as both drivers return it: text, JSON text, and numbers (or numeric strings from pg). */
export interface SessionRow {
  [column: string]: unknown
  created_ms: number | string
  updated_ms: number | string
  version: number | string
}

function toParam(kind: Kind, value: unknown): string | null {
  if (value === undefined || value === null) return null
  return kind === 'json' ? JSON.stringify(value) : String(value)
}

/** Column values of a new record, in `SESSION_FIELDS` order. */
export function sessionInsertValues(record: NewSessionRecord): (string | null)[] {
  return SESSION_FIELDS.map(({ field, kind }) => {
    const value = record[field]
    // Non-null JSON columns get their neutral value rather than a constraint error for an omitted field.
    if (value === undefined && field === 'webhooks') return '[]'
    if (value === undefined && field === 'metadata') return '{}'
    return toParam(kind, value)
  })
}

/**
 * The columns a patch changes. Keys whose value is `undefined` are left alone (as if absent);
 * `id` is immutable; unknown keys are ignored.
 */
export function sessionPatchAssignments(patch: SessionPatch): { column: string; value: string | null }[] {
  const out: { column: string; value: string | null }[] = []
  for (const [field, value] of Object.entries(patch)) {
    const spec = byField.get(field)
    if (!spec || spec.field === 'id' || value === undefined) continue
    out.push({ column: spec.column, value: toParam(spec.kind, value) })
  }
  return out
}

const parseJson = (value: unknown): unknown => (value === null || value === undefined ? null : JSON.parse(String(value)))

export function sessionFromRow(row: SessionRow): SessionRecord {
  const record: Record<string, unknown> = {}
  for (const { field, column, kind } of SESSION_FIELDS) {
    const value = row[column]
    record[field] = kind === 'json' ? parseJson(value) : value === undefined ? null : value
  }
  record.webhooks ??= []
  record.metadata ??= {}
  record.createdAt = new Date(Number(row.created_ms))
  record.updatedAt = new Date(Number(row.updated_ms))
  record.version = Number(row.version)
  return record as unknown as SessionRecord
}
