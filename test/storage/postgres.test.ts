import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { createPostgresStorage, POSTGRES_SCHEMA_VERSION, type PgPoolLike, type PgQueryConfig } from '../../src/storage/postgres/index.js'
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/migrations.js'
import { newSessionRecord } from '../../src/storage/records.js'
import { runStorageConformance } from '../../src/testing/index.js'
import { describePostgres, dropSchema, PG_URL, uniqueSchemaName } from '../helpers/postgres.js'

const q = (name: string) => `"${name.replaceAll('"', '""')}"`

describePostgres('postgres adapter', async (url) => {
  // One schema per file (files run in parallel); dropped before each test so every test migrates from empty.
  const schema = uniqueSchemaName('conformance')
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  afterAll(async () => {
    await dropSchema(url, schema)
    await admin.end()
  })
  const s = q(schema)

  const trigger = async (name: string, table: string, when: string) => {
    await admin.query(`CREATE OR REPLACE FUNCTION ${s}.wafleet_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`)
    await admin.query(`CREATE TRIGGER ${name} BEFORE INSERT OR UPDATE ON ${s}.${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${s}.wafleet_fault()`)
    return async () => {
      await admin.query(`DROP TRIGGER ${name} ON ${s}.${table}`)
    }
  }

  await runStorageConformance({
    name: 'postgres',
    createStorage: () => createPostgresStorage({ connectionString: url, schema, maxConnections: 4 }),
    reset: () => dropSchema(url, schema),
    capabilities: { messages: true, outbox: true, leases: true },
    inspect: {
      readKey: async (sessionId, category, id) =>
        (await admin.query(`SELECT value FROM ${s}.keys WHERE session_id = $1 AND category = $2 AND key_id = $3`, [sessionId, category, id])).rows[0]?.value ?? null,
      readCreds: async (sessionId) => (await admin.query(`SELECT value FROM ${s}.creds WHERE session_id = $1`, [sessionId])).rows[0]?.value ?? null,
      countSessionRows: async (sessionId) => {
        const counts: Record<string, number> = {}
        for (const table of ['sessions', 'creds', 'keys', 'messages', 'outbox', 'leases']) {
          const column = table === 'sessions' ? 'id' : 'session_id'
          counts[table] = Number((await admin.query(`SELECT count(*) AS n FROM ${s}.${table} WHERE ${column} = $1`, [sessionId])).rows[0].n)
        }
        return counts
      },
      setSchemaVersion: async (version) => {
        await admin.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, 'from the future')`, [version])
      },
    },
    faults: {
      failKeyWrite: (id) => trigger('fault_key', 'keys', `NEW.key_id = '${id.replaceAll("'", "''")}'`),
      failCredsWrite: () => trigger('fault_creds', 'creds', 'true'),
    },
  })
})

/** The pool, with every statement's config handed to `seen` first. */
const spying = (pool: pg.Pool, seen: { push(config: PgQueryConfig): unknown }): PgPoolLike => ({
  query: (config: PgQueryConfig) => {
    seen.push(config)
    return pool.query(config as pg.QueryConfig)
  },
  connect: () => pool.connect(),
  end: async () => undefined,
})

describePostgres('postgres adapter specifics', (url) => {
  const schemas: string[] = []
  const fresh = (label: string) => {
    const name = uniqueSchemaName(label)
    schemas.push(name)
    return name
  }
  let pool: pg.Pool
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url, max: 4 })
  })
  afterAll(async () => {
    for (const name of schemas) await dropSchema(url, name)
    await pool.end()
  })

  test('a pool the user passes is shared and never closed by us', async () => {
    const storage = createPostgresStorage({ pool, schema: fresh('userpool') })
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    await storage.close()
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    await expect(storage.sessions.get('a')).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
  })

  test('migrations from an empty database, run by several processes at once, apply once', async () => {
    const schema = fresh('concurrent')
    const instances = Array.from({ length: 5 }, () => createPostgresStorage({ connectionString: url, schema, maxConnections: 2 }))
    await Promise.all(instances.map((i) => i.init()))
    const rows = (await pool.query(`SELECT version FROM ${q(schema)}.schema_migrations ORDER BY version`)).rows
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1))
    await Promise.all(instances.map((i) => i.close()))
  })

  test('any schema name works (quoted identifiers)', async () => {
    const schema = fresh('Weird "name"; drop')
    const storage = createPostgresStorage({ pool, schema })
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    await storage.auth.commit('a', { keys: { session: { x: new Uint8Array([1]) } } })
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${q(schema)}.keys`)).rows[0].n).toBe(1)
    await storage.close()
  })

  test('migrate: false refuses an unmigrated schema and creates nothing', async () => {
    const schema = fresh('nomigrate')
    await expect(createPostgresStorage({ pool, schema, migrate: false }).init()).rejects.toMatchObject({ code: 'MIGRATION_FAILED' })
    expect((await pool.query('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema])).rows[0].n).toBe(0)
    await createPostgresStorage({ pool, schema }).init()
    await createPostgresStorage({ pool, schema, migrate: false }).init()
  })

  test('a commit is one statement whatever its size; reads use = ANY in chunks; nothing uses LIKE', async () => {
    const seen: string[] = []
    const storage = createPostgresStorage({ pool: spying(pool, { push: (config) => seen.push(config.text) }), schema: fresh('roundtrips') })
    await storage.init()
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    seen.length = 0
    const preKeys = Object.fromEntries(Array.from({ length: 812 }, (_, i) => [String(i + 1), new Uint8Array(100).fill(i & 0xff)]))
    await storage.auth.commit('a', { creds: new Uint8Array([1]), keys: { 'pre-key': preKeys, session: { gone: null }, 'sender-key-memory': { g: null } } })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toContain('unnest(')
    expect(seen[0]).toContain('= ANY(')
    seen.length = 0
    const found = await storage.auth.getKeys('a', 'pre-key', Array.from({ length: 40_000 }, (_, i) => String(i + 1)))
    expect(found.size).toBe(812)
    expect(seen).toHaveLength(4)
    for (const text of seen) expect(text).toContain('= ANY(')
    await storage.sessions.delete('a')
    await storage.auth.clear('a')
    expect(seen.join('\n')).not.toMatch(/\bLIKE\b|~/i)
    await storage.close()
  })

  test('a schema at version 1 migrates (keys cascade by trigger, indexed by id reference) and keeps what it stored', async () => {
    const schema = fresh('from-v1')
    const v1 = POSTGRES_MIGRATIONS.find((m) => m.version === 1)!
    await pool.query(`CREATE SCHEMA ${q(schema)}`)
    await pool.query(v1.sql(q(schema)))
    await pool.query(`CREATE TABLE ${q(schema)}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    await pool.query(`INSERT INTO ${q(schema)}.schema_migrations (version, name) VALUES (1, $1)`, [v1.name])
    await pool.query(`INSERT INTO ${q(schema)}.sessions (id, name, status, desired_state, webhooks, metadata, stats, created_at, updated_at, version)
      SELECT id, id, 'disconnected', 'stopped', '[]', '{}', '{}', now(), now(), 1 FROM unnest(ARRAY['a', 'b']) AS id`)
    await pool.query(`INSERT INTO ${q(schema)}.keys (session_id, category, key_id, value) VALUES ('a', 'pre-key', '1', '\\x01'), ('b', 'pre-key', '1', '\\x02')`)
    // Longer than the ids that are their own reference: the migration must compute the digest form as the code does.
    const longId = `ç${'q'.repeat(700)}`
    await pool.query(`INSERT INTO ${q(schema)}.keys (session_id, category, key_id, value) VALUES ('a', 'session', $1, '\\x05')`, [longId])

    const storage = createPostgresStorage({ pool, schema })
    await storage.init()
    expect((await pool.query(`SELECT max(version)::int AS v FROM ${q(schema)}.schema_migrations`)).rows[0].v).toBe(POSTGRES_SCHEMA_VERSION)
    expect([...(await storage.auth.getKeys('a', 'pre-key', ['1'])).values()].map((v) => [...v])).toEqual([[1]])
    expect([...(await storage.auth.getKeys('a', 'session', [longId])).values()].map((v) => [...v])).toEqual([[5]])
    await storage.auth.commit('a', { keys: { session: { [longId]: new Uint8Array([6]) } } })
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${q(schema)}.keys WHERE session_id = 'a' AND category = 'session'`)).rows[0].n).toBe(1)
    await storage.sessions.delete('a')
    const left = (await pool.query(`SELECT session_id FROM ${q(schema)}.keys ORDER BY session_id`)).rows
    expect(left).toEqual([{ session_id: 'b' }])
    await expect(storage.auth.commit('a', { keys: { 'pre-key': { 2: new Uint8Array([3]) } } })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })
    await storage.close()
  })

  test('a schema at version 3 migrates its outbox (room for claims, global rows out of the session index) and keeps its rows', async () => {
    const schema = fresh('from-v3')
    await pool.query(`CREATE SCHEMA ${q(schema)}`)
    await pool.query(`CREATE TABLE ${q(schema)}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    for (const m of POSTGRES_MIGRATIONS.filter((x) => x.version <= 3)) {
      await pool.query(m.sql(q(schema)))
      await pool.query(`INSERT INTO ${q(schema)}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name])
    }
    await pool.query(`INSERT INTO ${q(schema)}.sessions (id, name, status, desired_state, webhooks, metadata, stats, created_at, updated_at, version)
      VALUES ('s', 's', 'disconnected', 'stopped', '[]', '{}', '{}', now(), now(), 1)`)
    const storage = createPostgresStorage({ pool, schema })
    const old = createPostgresStorage({ pool, schema, migrate: false })
    await expect(old.init()).rejects.toMatchObject({ code: 'MIGRATION_FAILED' })
    await storage.init()
    const table = await pool.query(`SELECT reloptions FROM pg_class WHERE oid = '${q(schema)}.outbox'::regclass`)
    expect(table.rows[0].reloptions).toEqual(['fillfactor=50'])
    const index = await pool.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'outbox_session_idx'`, [schema])
    expect(index.rows[0].indexdef).toMatch(/WHERE \(session_id IS NOT NULL\)/)
    await storage.outbox!.enqueue([
      { id: `${schema}-own`, sessionId: 's', target: 't', event: 'e', payload: new Uint8Array([1]) },
      { id: `${schema}-global`, sessionId: null, target: 't', event: 'e', payload: new Uint8Array([2]) },
    ])
    expect((await storage.outbox!.list({ sessionId: 's' })).map((i) => i.id)).toEqual([`${schema}-own`])
    await storage.sessions.delete('s')
    expect((await storage.outbox!.list({})).map((i) => i.id)).toEqual([`${schema}-global`])
    await storage.close()
  })

  test('a commit racing the delete of its session never leaves orphan keys', async () => {
    const schema = fresh('race')
    const storage = createPostgresStorage({ connectionString: url, schema, maxConnections: 4 })
    const preKeys = Object.fromEntries(Array.from({ length: 812 }, (_, i) => [String(i), new Uint8Array([i & 255])]))
    for (let round = 0; round < 30; round++) {
      const id = `race-${round}`
      await storage.sessions.create(newSessionRecord({ id, name: id }))
      // Either the commit lands before the delete, or it finds the session gone; nothing else.
      const commit = storage.auth.commit(id, { keys: { 'pre-key': preKeys } }).catch((error: unknown) => {
        expect(error).toMatchObject({ code: 'SESSION_NOT_FOUND' })
      })
      // Alternate which one is sent first, so both orders of the race are exercised.
      if (round % 2) await new Promise((resolve) => setImmediate(resolve))
      await Promise.all([commit, storage.sessions.delete(id)])
    }
    expect((await pool.query(`SELECT count(*)::int AS n FROM ${q(schema)}.keys`)).rows[0].n).toBe(0)
    await storage.close()
  })

  test('an ack finds its rows by id, whatever the backlog: its plan never reads the due index', async () => {
    const seen: PgQueryConfig[] = []
    const schema = fresh('ackplan')
    const storage = createPostgresStorage({ pool: spying(pool, seen), schema })
    const outbox = storage.outbox!
    // A backlog of pending rows (all in the due index) behind rows already delivered, as the
    // table looks to a busy worker, with no statistics yet; then a batch to ack.
    const payload = new Uint8Array(200).fill(1)
    for (let b = 0; b < 20; b++) {
      await outbox.enqueue(Array.from({ length: 500 }, (_, i) => ({ id: `${schema}-${b}-${i}`, sessionId: null, target: 'g:x', event: 'e', payload })))
    }
    for (let b = 0; b < 50; b++) await outbox.ackMany!((await outbox.claim('w', 100, 60_000)).map((item) => item.id), 'w')
    const claimed = await outbox.claim('w', 100, 60_000)
    seen.length = 0
    await outbox.ackMany!(claimed.map((item) => item.id), 'w')
    const ack = seen.find((config) => config.text.includes("'delivered'"))!
    // The plan a prepared statement settles on after its first executions.
    const client = await pool.connect()
    try {
      await client.query('SET plan_cache_mode = force_generic_plan')
      const literal = (value: unknown) => (Array.isArray(value) ? `${client.escapeLiteral(`{${value.join(',')}}`)}::text[]` : client.escapeLiteral(String(value)))
      await client.query(`PREPARE ack_plan AS ${ack.text}`)
      const plan = await client.query(`EXPLAIN EXECUTE ack_plan(${ack.values!.map(literal).join(', ')})`)
      const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n')
      expect(text).toContain('outbox_id_key')
      expect(text).not.toContain('outbox_due_idx')
    } finally {
      await client.query('DEALLOCATE ALL')
      client.release()
    }
    const delivered = new Set((await outbox.list({ status: 'delivered', limit: 10_000 })).map((item) => item.id))
    expect(delivered.size).toBe(5_100)
    expect(claimed.filter((item) => !delivered.has(item.id))).toEqual([])
    await storage.close()
  })

  test('works without prepared statements (for poolers that cannot keep them)', async () => {
    const storage = createPostgresStorage({ pool, schema: fresh('unprepared'), preparedStatements: false })
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    await storage.auth.commit('a', { keys: { session: { x: new Uint8Array([7]) } } })
    expect([...(await storage.auth.getKeys('a', 'session', ['x'])).values()].map((v) => [...v])).toEqual([[7]])
    await storage.close()
  })

  test('an unreachable database rejects with a coded error, and the next call tries again', async () => {
    const storage = createPostgresStorage({ connectionString: 'postgres://postgres@127.0.0.1:1/none', schema: fresh('down') })
    await expect(storage.sessions.get('a')).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    await expect(storage.auth.readCreds('a')).rejects.toMatchObject({ code: 'STORAGE_ERROR' })
    await storage.close()
  })

  test('options are validated up front', () => {
    expect(() => createPostgresStorage({})).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createPostgresStorage({ pool, connectionString: url })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createPostgresStorage({ pool, schema: '' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createPostgresStorage({ pool, schema: 'x'.repeat(64) })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})

// Keeps the import used when the gate skips everything.
void PG_URL
