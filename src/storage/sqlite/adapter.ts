import { StorageError, ValidationError } from '../../errors.js'
import { interopDefault, loadDriver } from '../sql/driver.js'
import { validateTablePrefix } from '../sql/identifiers.js'
import { createLifecycle } from '../sql/lifecycle.js'
import type { StorageAdapter } from '../types.js'
import { createSqliteAuth } from './auth.js'
import { createHandle, tableNames, type SqliteHandle } from './context.js'
import { createSqliteLeases } from './leases.js'
import { createSqliteMessages } from './messages.js'
import { migrateSqlite } from './migrate.js'
import { createSqliteOutbox } from './outbox.js'
import { createSqliteSessions } from './sessions.js'
import type { SqliteDatabaseLike } from './sqlite-types.js'

export interface SqliteStorageOptions {
  /**
   * A `better-sqlite3` database you own. wafleet never closes it, and leaves its journal mode and busy
   * timeout as you set them; it turns `foreign_keys` on (deleting a session cascades through them) and
   * fails if that does not take. Give either `database` or `filename`.
   */
  database?: SqliteDatabaseLike
  /** Path of a database file wafleet opens (and closes on `close()`), created if missing. */
  filename?: string
  /**
   * Prefix of wafleet's table names, so they can live next to yours in one file.
   * @default 'wafleet_'
   */
  tablePrefix?: string
  /**
   * How long a write waits for another connection's lock before failing with SQLITE_BUSY (ms).
   * Only for a database wafleet opens.
   * @default 5000
   */
  busyTimeoutMs?: number
  /**
   * `PRAGMA synchronous` for a database wafleet opens (always in WAL mode). `FULL` survives power loss
   * with every committed batch; `NORMAL` survives process crashes and may lose the last batches on
   * power loss (never corrupts). Lost Signal state means "Bad MAC" for the contacts involved.
   * @default 'FULL'
   */
  synchronous?: 'FULL' | 'NORMAL'
  /**
   * Apply pending migrations when opening. With `false`, opening only checks the schema version.
   * @default true
   */
  migrate?: boolean
}

const DEFAULTS = { tablePrefix: 'wafleet_', busyTimeoutMs: 5000, synchronous: 'FULL' as const, migrate: true }

function validate(options: SqliteStorageOptions) {
  const merged = { ...DEFAULTS, ...options }
  if (!merged.database === !merged.filename) {
    throw new ValidationError('INVALID_CONFIG', 'createSqliteStorage needs exactly one of `database` or `filename`', { details: { field: 'filename' } })
  }
  if (merged.database && typeof merged.database.prepare !== 'function') {
    throw new ValidationError('INVALID_CONFIG', '`database` must be a better-sqlite3 Database', { details: { field: 'database' } })
  }
  if (!Number.isInteger(merged.busyTimeoutMs) || merged.busyTimeoutMs < 0) {
    throw new ValidationError('INVALID_CONFIG', '`busyTimeoutMs` must be a non-negative integer', { details: { field: 'busyTimeoutMs' } })
  }
  if (merged.synchronous !== 'FULL' && merged.synchronous !== 'NORMAL') {
    throw new ValidationError('INVALID_CONFIG', "`synchronous` must be 'FULL' or 'NORMAL'", { details: { field: 'synchronous' } })
  }
  return { ...merged, tablePrefix: validateTablePrefix(merged.tablePrefix) }
}

async function openDatabase(config: ReturnType<typeof validate>): Promise<{ db: SqliteDatabaseLike; owned: boolean }> {
  if (config.database) return { db: config.database, owned: false }
  const Database = interopDefault(await loadDriver('better-sqlite3', () => import('better-sqlite3')))
  const db = new Database(config.filename!, { timeout: config.busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${config.synchronous}`)
  } catch (error) {
    db.close()
    throw error
  }
  return { db, owned: true }
}

/** Cascades rely on foreign keys; SQLite ignores the pragma inside a transaction, so check it took. */
function enableForeignKeys(db: SqliteDatabaseLike): void {
  db.pragma('foreign_keys = ON')
  if (db.pragma('foreign_keys', { simple: true }) !== 1) {
    throw new StorageError('STORAGE_ERROR', 'Could not turn on SQLite foreign keys (is the database inside a transaction?); session deletes would not cascade', {
      details: { pragma: 'foreign_keys' },
    })
  }
}

/**
 * Storage in one SQLite file through `better-sqlite3` (an optional peer: `npm install better-sqlite3`).
 * WAL journal, busy timeout, foreign keys verified; every batch is one transaction over cached
 * prepared statements. Nothing is opened until `init()` or the first operation.
 */
export function createSqliteStorage(options: SqliteStorageOptions): StorageAdapter {
  const config = validate(options)
  const t = tableNames(config.tablePrefix)
  let owned = false
  const lifecycle = createLifecycle<SqliteHandle>({
    async open() {
      const opened = await openDatabase(config)
      owned = opened.owned
      try {
        enableForeignKeys(opened.db)
        const handle = createHandle(opened.db)
        migrateSqlite(handle, config.tablePrefix, t, config.migrate)
        return handle
      } catch (error) {
        if (owned) opened.db.close()
        throw error
      }
    },
    close: (handle) => {
      if (owned) handle.db.close()
    },
  })
  const ctx = { lifecycle, t }

  return {
    kind: 'sqlite',
    interfaceVersion: 1,
    init: () => lifecycle.init(),
    close: () => lifecycle.close(),
    ping: () =>
      lifecycle.use('ping', (h) => {
        h.stmt('SELECT 1').get()
      }),
    sessions: createSqliteSessions(ctx),
    auth: createSqliteAuth(ctx),
    messages: createSqliteMessages(ctx),
    outbox: createSqliteOutbox(ctx),
    leases: createSqliteLeases(ctx),
  }
}
