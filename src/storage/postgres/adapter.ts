import { ValidationError } from '../../errors.js'
import { interopDefault, loadDriver } from '../sql/driver.js'
import { validateSchemaName } from '../sql/identifiers.js'
import { createLifecycle } from '../sql/lifecycle.js'
import type { StorageAdapter } from '../types.js'
import { createPgAuth } from './auth.js'
import { createPgContext } from './context.js'
import { createPgLeases } from './leases.js'
import { createPgMessages } from './messages.js'
import { checkSchema, migrateSchema } from './migrate.js'
import { createPgOutbox } from './outbox.js'
import type { PgPoolLike } from './pg-types.js'
import { createPgSessions } from './sessions.js'

export interface PostgresStorageOptions {
  /**
   * A pool you own (e.g. `new pg.Pool(...)`), shared with the rest of your app. wafleet never closes it:
   * `close()` only stops using it. Give either `pool` or `connectionString`.
   */
  pool?: PgPoolLike
  /** wafleet creates (and on `close()` ends) its own `pg.Pool` for this URL. */
  connectionString?: string
  /**
   * Size of the pool wafleet creates from `connectionString`.
   * @default 10
   */
  maxConnections?: number
  /**
   * Schema holding wafleet's tables; created by the migrations. Any name (it is quoted).
   * @default 'wafleet'
   */
  schema?: string
  /**
   * Apply pending migrations on `init()`. With `false`, `init()` only checks that the schema is at the
   * version this code needs (for deployments that migrate in a separate step).
   * @default true
   */
  migrate?: boolean
  /**
   * Use named (prepared) statements. Turn off behind a pooler that cannot keep them (PgBouncer in
   * transaction mode before 1.21).
   * @default true
   */
  preparedStatements?: boolean
  /**
   * Called with errors the pool reports on idle connections (the pool has already dropped them; the
   * next query opens a new one or fails loudly). Only used for the pool wafleet creates.
   * @default undefined (such errors are left to the next query)
   */
  onIdleError?: (error: Error) => void
}

const DEFAULTS = { schema: 'wafleet', migrate: true, preparedStatements: true, maxConnections: 10 }

function validate(options: PostgresStorageOptions) {
  const merged = { ...DEFAULTS, ...options }
  if (!merged.pool === !merged.connectionString) {
    throw new ValidationError('INVALID_CONFIG', 'createPostgresStorage needs exactly one of `pool` or `connectionString`', {
      details: { field: 'pool' },
    })
  }
  if (merged.pool && typeof merged.pool.query !== 'function') {
    throw new ValidationError('INVALID_CONFIG', '`pool` must be a pg.Pool (or have the same query/connect methods)', { details: { field: 'pool' } })
  }
  if (!Number.isInteger(merged.maxConnections) || merged.maxConnections < 1) {
    throw new ValidationError('INVALID_CONFIG', '`maxConnections` must be a positive integer', { details: { field: 'maxConnections' } })
  }
  return { ...merged, schema: validateSchemaName(merged.schema) }
}

async function openPool(options: ReturnType<typeof validate>): Promise<{ pool: PgPoolLike; owned: boolean }> {
  if (options.pool) return { pool: options.pool, owned: false }
  const pg = interopDefault(await loadDriver('pg', () => import('pg')))
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections })
  // Without a listener an idle connection's error (a server restart) would crash the process.
  pool.on('error', (error: Error) => options.onIdleError?.(error))
  return { pool, owned: true }
}

/**
 * Storage in PostgreSQL through `pg` (an optional peer: `npm install pg`). Every auth commit is one
 * atomic statement, key reads use `= ANY`, outbox claims `FOR UPDATE SKIP LOCKED`, leases run on the
 * database clock with fencing tokens. Nothing connects until `init()` or the first operation.
 */
export function createPostgresStorage(options: PostgresStorageOptions): StorageAdapter {
  const config = validate(options)
  let owned = false
  const lifecycle = createLifecycle<PgPoolLike>({
    async open() {
      const opened = await openPool(config)
      owned = opened.owned
      try {
        if (config.migrate) await migrateSchema(opened.pool, config.schema)
        else await checkSchema(opened.pool, config.schema)
      } catch (error) {
        // The migration error is the one to report; a failure to end our own pool adds nothing to it.
        if (owned) await opened.pool.end().catch(() => undefined)
        throw error
      }
      return opened.pool
    },
    close: (pool) => (owned ? pool.end() : undefined),
  })
  const ctx = createPgContext(lifecycle, config.schema, config.preparedStatements)

  return {
    kind: 'postgres',
    interfaceVersion: 1,
    init: () => lifecycle.init(),
    close: () => lifecycle.close(),
    ping: () =>
      lifecycle.use('ping', async (pool) => {
        await pool.query({ text: 'SELECT 1' })
      }),
    sessions: createPgSessions(ctx),
    auth: createPgAuth(ctx),
    messages: createPgMessages(ctx),
    outbox: createPgOutbox(ctx),
    leases: createPgLeases(ctx),
  }
}
