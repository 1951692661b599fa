import { createHash } from 'node:crypto'
import { StorageError, WafleetError } from '../../errors.js'
import { schemaBehind, schemaTooNew } from '../contract-errors.js'
import { quoteIdent } from '../sql/identifiers.js'
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations.js'
import { RAW_TYPES, type PgPoolLike, type PgQueryable } from './pg-types.js'

/** One lock per schema, so test suites (or tenants) in separate schemas never wait on each other. */
const lockKey = (schema: string) => createHash('sha256').update(`wafleet:migrate:${schema}`).digest().readBigInt64BE(0).toString()

async function appliedVersion(db: PgQueryable, schema: string): Promise<number> {
  const table = `${quoteIdent(schema)}.${quoteIdent('schema_migrations')}`
  const exists = await db.query({ text: 'SELECT to_regclass($1) IS NOT NULL AS present', values: [table], types: RAW_TYPES })
  if (exists.rows[0]?.present !== 't') return 0
  const result = await db.query({ text: `SELECT coalesce(max(version), 0) AS version FROM ${table}`, types: RAW_TYPES })
  return Number(result.rows[0]?.version ?? 0)
}

/**
 * Brings `schema` to `POSTGRES_SCHEMA_VERSION`. All pending migrations run in one transaction under
 * `pg_advisory_xact_lock`, so processes starting together apply them once and the others wait, then
 * find nothing to do. A schema newer than this code is refused before anything is touched.
 */
export async function migrateSchema(pool: PgPoolLike, schema: string): Promise<void> {
  // Fast path without the lock: the usual start-up finds the schema current.
  const seen = await appliedVersion(pool, schema)
  if (seen > POSTGRES_SCHEMA_VERSION) throw schemaTooNew(seen, POSTGRES_SCHEMA_VERSION, `Postgres "${schema}"`)
  if (seen === POSTGRES_SCHEMA_VERSION) return

  const s = quoteIdent(schema)
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query({ text: 'BEGIN' })
    try {
      await client.query({ text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [lockKey(schema)] })
      await client.query({ text: `CREATE SCHEMA IF NOT EXISTS ${s}` })
      await client.query({
        text: `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      })
      // Re-read under the lock: another process may have migrated while we waited.
      const current = await appliedVersion(client, schema)
      if (current > POSTGRES_SCHEMA_VERSION) throw schemaTooNew(current, POSTGRES_SCHEMA_VERSION, `Postgres "${schema}"`)
      for (const migration of POSTGRES_MIGRATIONS) {
        if (migration.version <= current) continue
        await client.query({ text: migration.sql(s) })
        await client.query({ text: `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, values: [migration.version, migration.name] })
      }
      await client.query({ text: 'COMMIT' })
    } catch (error) {
      await client.query({ text: 'ROLLBACK' }).catch((rollbackError: unknown) => {
        // The connection is unusable; it is destroyed on release instead of going back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
      })
      throw error
    }
  } catch (error) {
    if (error instanceof WafleetError) throw error
    throw new StorageError('MIGRATION_FAILED', `Migrating Postgres schema "${schema}" failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      details: { schema },
    })
  } finally {
    client.release(broken)
  }
}

/** With `migrate: false`: the schema must already be exactly what this code expects. */
export async function checkSchema(pool: PgPoolLike, schema: string): Promise<void> {
  const version = await appliedVersion(pool, schema)
  if (version > POSTGRES_SCHEMA_VERSION) throw schemaTooNew(version, POSTGRES_SCHEMA_VERSION, `Postgres "${schema}"`)
  if (version < POSTGRES_SCHEMA_VERSION) throw schemaBehind(version, POSTGRES_SCHEMA_VERSION, `Postgres "${schema}"`)
}
