import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { StorageAdapter } from 'wafleet'
import { createPostgresStorage } from 'wafleet/storage/postgres'
import { createSqliteStorage } from 'wafleet/storage/sqlite'
import { createGatewayStore, type GatewayStore } from './gateway-store.js'
import { postgresRunner, sqliteRunner } from './sql.js'

export interface OpenedDatabase {
  /** wafleet's storage adapter (sessions, credentials, keys, messages, webhook outbox). */
  storage: StorageAdapter
  /** The gateway's own tables (tenants, API key hashes) in the same database. */
  store: GatewayStore
  /** Where the data lives, for the start-up log (never the connection string: it may hold a password). */
  description: string
  close(): Promise<void>
}

/**
 * One database for everything: Postgres when `databaseUrl` is set, else the SQLite file
 * `<dataDir>/wafleet.db`. The gateway opens the connection itself and hands it to wafleet, so its
 * own tables share the file (or pool) and a backup of one database is a backup of the gateway.
 */
export async function openDatabase(
  options: { databaseUrl: string | null; databaseSchema: string; dataDir: string },
  onIdleError: (error: Error) => void,
): Promise<OpenedDatabase> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 })
    // An idle client's error (a server restart) must not crash the process; the pool drops that
    // client and the next query reports any lasting problem.
    pool.on('error', onIdleError)
    // The schema name is a validated lower-case identifier (see config.ts), safe to interpolate.
    const schema = options.databaseSchema
    const store = createGatewayStore(postgresRunner(pool), {
      prelude: `CREATE SCHEMA IF NOT EXISTS ${schema};`,
      tenants: `${schema}.gateway_tenants`,
      keys: `${schema}.gateway_api_keys`,
      keysSessionIndex: 'gateway_api_keys_session_idx',
    })
    await store.init()
    const storage = createPostgresStorage({ pool, schema })
    return {
      storage,
      store,
      description: `postgres (schema ${schema})`,
      close: async () => {
        await storage.close()
        await pool.end()
      },
    }
  }
  mkdirSync(options.dataDir, { recursive: true })
  const filename = join(options.dataDir, 'wafleet.db')
  const db = new Database(filename, { timeout: 5000 })
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  const store = createGatewayStore(sqliteRunner(db), {
    tenants: 'gateway_tenants',
    keys: 'gateway_api_keys',
    keysSessionIndex: 'gateway_api_keys_session_idx',
  })
  await store.init()
  const storage = createSqliteStorage({ database: db })
  return {
    storage,
    store,
    description: `sqlite ${filename}`,
    close: async () => {
      await storage.close()
      db.close()
    },
  }
}
