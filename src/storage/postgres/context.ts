import { createHash } from 'node:crypto'
import { quoteIdent } from '../sql/identifiers.js'
import type { AdapterLifecycle } from '../sql/lifecycle.js'
import { RAW_TYPES, type PgPoolLike, type PgQueryResult } from './pg-types.js'

export type PgTable = 'sessions' | 'creds' | 'keys' | 'messages' | 'outbox' | 'leases'

/** What every repository of the Postgres adapter shares. */
export interface PgContext {
  readonly lifecycle: AdapterLifecycle<PgPoolLike>
  /** Quoted, schema-qualified table names, and the outbox's claim function. */
  readonly t: Readonly<Record<PgTable | 'outboxDue', string>>
  /** Runs one statement with wafleet's type parsers; `name` prepares it once per connection. */
  query<R = Record<string, any>>(db: PgPoolLike, text: string, values?: unknown[], name?: string): Promise<PgQueryResult<R>>
}

/** Milliseconds since the epoch, on the database clock. */
export const NOW_MS = `(floor(extract(epoch from now()) * 1000))::bigint`
/** Timestamps are kept at millisecond precision so list cursors (ms) compare exactly. */
export const NOW_TS = `date_trunc('milliseconds', now())`
/**
 * A condition that is always true and makes the commit of the statement's own transaction
 * asynchronous (`set_config(..., true)` lasts until that commit). For writes that a crash of the
 * database may undo without losing anything: the work is done again. An uncorrelated subquery, so
 * it runs once per statement, not once per row.
 */
export const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL`
export const msOf = (column: string) => `(extract(epoch from ${column}) * 1000)::bigint`
export const tsOf = (param: string) => `(timestamptz 'epoch' + ${param}::bigint * interval '1 millisecond')`

export function createPgContext(lifecycle: AdapterLifecycle<PgPoolLike>, schema: string, preparedStatements: boolean): PgContext {
  const s = quoteIdent(schema)
  const table = (name: PgTable) => `${s}.${quoteIdent(name)}`
  // Statement names are per connection and a user's pool may serve adapters on several schemas.
  const prefix = `wafleet_${createHash('sha256').update(schema).digest('hex').slice(0, 10)}_`
  return {
    lifecycle,
    t: {
      outboxDue: `${s}.${quoteIdent('outbox_due')}`,
      sessions: table('sessions'),
      creds: table('creds'),
      keys: table('keys'),
      messages: table('messages'),
      outbox: table('outbox'),
      leases: table('leases'),
    },
    query: (db, text, values, name) =>
      db.query({ text, types: RAW_TYPES, ...(values ? { values } : {}), ...(preparedStatements && name ? { name: prefix + name } : {}) }),
  }
}

export const pgErrorCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export const pgConstraint = (error: unknown): string | undefined => {
  const constraint = (error as { constraint?: unknown } | null)?.constraint
  return typeof constraint === 'string' ? constraint : undefined
}

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
