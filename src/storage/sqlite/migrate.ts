import { StorageError, WafleetError } from '../../errors.js'
import { schemaBehind, schemaTooNew } from '../contract-errors.js'
import type { SqliteHandle, SqliteTable } from './context.js'
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './migrations.js'

const where = 'SQLite'

/**
 * Brings the database to `SQLITE_SCHEMA_VERSION` in one `BEGIN IMMEDIATE` transaction: the write
 * lock serializes processes opening the same file together (each waits up to busy_timeout), and
 * the loser finds nothing left to do. A schema newer than this code is refused untouched.
 */
export function migrateSqlite(handle: SqliteHandle, prefix: string, t: Readonly<Record<SqliteTable, string>>, apply: boolean): void {
  try {
    // Checking only (migrate: false) needs no write lock.
    const transaction = apply ? handle.write : handle.read
    transaction(() => {
      if (apply) {
        handle.db.exec(`CREATE TABLE IF NOT EXISTS ${t.schema_migrations} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL) STRICT`)
      }
      const exists = handle.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(`${prefix}schema_migrations`)
      const current = exists ? Number((handle.db.prepare(`SELECT coalesce(max(version), 0) AS v FROM ${t.schema_migrations}`).get() as { v: number }).v) : 0
      if (current > SQLITE_SCHEMA_VERSION) throw schemaTooNew(current, SQLITE_SCHEMA_VERSION, where)
      if (!apply) {
        if (current < SQLITE_SCHEMA_VERSION) throw schemaBehind(current, SQLITE_SCHEMA_VERSION, where)
        return
      }
      const record = handle.db.prepare(`INSERT INTO ${t.schema_migrations} (version, name, applied_ms) VALUES (?, ?, ?)`)
      for (const migration of SQLITE_MIGRATIONS) {
        if (migration.version <= current) continue
        handle.db.exec(migration.sql(prefix))
        record.run(migration.version, migration.name, Date.now())
      }
    })
  } catch (error) {
    if (error instanceof WafleetError) throw error
    throw new StorageError('MIGRATION_FAILED', `Migrating the SQLite schema failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}
