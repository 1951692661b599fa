import type { AdapterLifecycle } from '../sql/lifecycle.js'
import type { SqliteDatabaseLike, SqliteStatementLike } from './sqlite-types.js'

export type SqliteTable = 'sessions' | 'creds' | 'keys' | 'messages' | 'outbox' | 'leases' | 'schema_migrations'

/** An open database with its statement cache. */
export interface SqliteHandle {
  readonly db: SqliteDatabaseLike
  /** Prepared once per SQL text and reused for the life of the adapter. */
  stmt(sql: string): SqliteStatementLike
  /** `BEGIN IMMEDIATE`: the write lock is taken up front, so two writers never deadlock upgrading a read lock. */
  write<T>(fn: () => T): T
  /** A deferred transaction: several statements read one consistent snapshot. */
  read<T>(fn: () => T): T
}

export interface SqliteContext {
  readonly lifecycle: AdapterLifecycle<SqliteHandle>
  /** Quoted table names with the configured prefix. */
  readonly t: Readonly<Record<SqliteTable, string>>
}

export function tableNames(prefix: string): Readonly<Record<SqliteTable, string>> {
  const name = (table: SqliteTable) => `"${prefix}${table}"`
  return {
    sessions: name('sessions'),
    creds: name('creds'),
    keys: name('keys'),
    messages: name('messages'),
    outbox: name('outbox'),
    leases: name('leases'),
    schema_migrations: name('schema_migrations'),
  }
}

export function createHandle(db: SqliteDatabaseLike): SqliteHandle {
  const statements = new Map<string, SqliteStatementLike>()
  // One cached transaction function that runs whatever closure it is given.
  const transaction = db.transaction((fn: () => unknown) => fn())
  return {
    db,
    stmt(sql) {
      let statement = statements.get(sql)
      if (!statement) statements.set(sql, (statement = db.prepare(sql)))
      return statement
    },
    write: <T>(fn: () => T) => transaction.immediate(fn) as T,
    read: <T>(fn: () => T) => transaction.deferred(fn) as T,
  }
}
