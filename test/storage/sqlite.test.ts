import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { createSqliteStorage, SQLITE_SCHEMA_VERSION } from '../../src/storage/sqlite/index.js'
import { newSessionRecord } from '../../src/storage/records.js'
import { runStorageConformance } from '../../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'wafleet-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileNumber = 0
let filename = join(dir, 'db-0.sqlite')

/** A second connection to the same file: reads what is really stored, and installs faults. */
const raw = <T>(fn: (db: Database.Database) => T): T => {
  const db = new Database(filename)
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

/** A trigger makes SQLite itself abort the statement for one row, in the middle of the batch. */
const trigger = (name: string, table: string, when: string) =>
  raw((db) => {
    for (const event of ['INSERT', 'UPDATE']) {
      db.exec(`CREATE TRIGGER ${name}_${event.toLowerCase()} BEFORE ${event} ON "wafleet_${table}" WHEN ${when} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`)
    }
    return async () => raw((d) => ['insert', 'update'].forEach((e) => d.exec(`DROP TRIGGER ${name}_${e}`)))
  })

await runStorageConformance({
  name: 'sqlite',
  createStorage: () => createSqliteStorage({ filename }),
  reset: () => {
    filename = join(dir, `db-${++fileNumber}.sqlite`)
  },
  capabilities: { messages: true, outbox: true, leases: true },
  inspect: {
    readKey: async (sessionId, category, id) =>
      raw((db) => (db.prepare('SELECT value FROM wafleet_keys WHERE session_id = ? AND category = ? AND key_id = ?').get(sessionId, category, id) as { value: Buffer } | undefined)?.value ?? null),
    readCreds: async (sessionId) =>
      raw((db) => (db.prepare('SELECT value FROM wafleet_creds WHERE session_id = ?').get(sessionId) as { value: Buffer } | undefined)?.value ?? null),
    countSessionRows: async (sessionId) =>
      raw((db) =>
        Object.fromEntries(
          (['sessions', 'creds', 'keys', 'messages', 'outbox', 'leases'] as const).map((table) => [
            table,
            (db.prepare(`SELECT count(*) AS n FROM wafleet_${table} WHERE ${table === 'sessions' ? 'id' : 'session_id'} = ?`).get(sessionId) as { n: number }).n,
          ]),
        ),
      ),
    setSchemaVersion: async (version) => {
      raw((db) => db.prepare("INSERT INTO wafleet_schema_migrations (version, name, applied_ms) VALUES (?, 'from the future', 0)").run(version))
    },
  },
  faults: {
    failKeyWrite: async (id) => trigger('fault_key', 'keys', `NEW.key_id = '${id.replaceAll("'", "''")}'`),
    failCredsWrite: async () => trigger('fault_creds', 'creds', '1'),
  },
})

describe('sqlite adapter specifics', () => {
  test('a database the user passes is used as configured and never closed by us', async () => {
    const db = new Database(':memory:')
    const storage = createSqliteStorage({ database: db })
    await storage.init()
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    await storage.close()
    expect(db.open).toBe(true)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect((db.prepare('SELECT count(*) AS n FROM wafleet_sessions').get() as { n: number }).n).toBe(1)
    db.close()
  })

  test('a file we open gets WAL, busy_timeout, foreign keys and the current schema', async () => {
    const file = join(dir, 'pragmas.sqlite')
    const storage = createSqliteStorage({ filename: file, busyTimeoutMs: 1234, tablePrefix: 'custom_' })
    await storage.init()
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    await storage.close()
    const db = new Database(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect((db.prepare('SELECT max(version) AS v FROM custom_schema_migrations').get() as { v: number }).v).toBe(SQLITE_SCHEMA_VERSION)
    expect((db.prepare('SELECT count(*) AS n FROM custom_sessions').get() as { n: number }).n).toBe(1)
    db.close()
  })

  test('refuses to run when foreign keys cannot be turned on (inside a transaction)', async () => {
    const db = new Database(':memory:')
    // better-sqlite3 turns foreign keys on by default; a user may have turned them off, then opened a transaction.
    db.pragma('foreign_keys = OFF')
    db.exec('BEGIN')
    const storage = createSqliteStorage({ database: db })
    await expect(storage.init()).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining('foreign keys') })
    db.exec('ROLLBACK')
    db.close()
  })

  test('migrate: false refuses an unmigrated database instead of creating tables', async () => {
    const db = new Database(':memory:')
    await expect(createSqliteStorage({ database: db, migrate: false }).init()).rejects.toMatchObject({ code: 'MIGRATION_FAILED' })
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name LIKE 'wafleet%'").get()).toEqual({ n: 0 })
    await createSqliteStorage({ database: db }).init()
    await createSqliteStorage({ database: db, migrate: false }).init()
    db.close()
  })

  test('options are validated up front', () => {
    expect(() => createSqliteStorage({})).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createSqliteStorage({ filename: 'x', database: new Database(':memory:') })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => createSqliteStorage({ filename: 'x', tablePrefix: 'bad prefix; drop' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })

  test('commits are one transaction of prepared statements, reused', async () => {
    const db = new Database(':memory:')
    const prepared: string[] = []
    const spy = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === 'prepare') return (sql: string) => (prepared.push(sql), target.prepare(sql))
        const value = Reflect.get(target, prop, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const storage = createSqliteStorage({ database: spy })
    await storage.sessions.create(newSessionRecord({ id: 'a', name: 'a' }))
    const before = prepared.length
    for (let round = 0; round < 3; round++) {
      await storage.auth.commit('a', { creds: new Uint8Array([round]), keys: { 'pre-key': Object.fromEntries(Array.from({ length: 812 }, (_, i) => [String(i), new Uint8Array([i & 0xff])])) } })
    }
    // The first commit prepares its few statements; later commits prepare nothing.
    expect(prepared.length - before).toBeLessThanOrEqual(5)
    const afterFirst = prepared.length
    await storage.auth.commit('a', { keys: { 'pre-key': { '1': null } } })
    await storage.auth.commit('a', { keys: { 'pre-key': { '2': null } } })
    expect(prepared.length - afterFirst).toBeLessThanOrEqual(1)
    await storage.close()
    db.close()
  })
})
