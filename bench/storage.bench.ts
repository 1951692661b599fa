/**
 * npm run bench:storage: the storage adapters under Baileys-shaped workloads, next to three
 * references measured in the same run.
 *
 * Workloads (one "op" each):
 *   W1 first login      creds + 812 pre-keys written
 *   W2 incoming 1:1     read session and identity key, write session, delete a pre-key
 *   W3 group send       read 256 sessions, write 256 sessions + sender-key-memory
 *   W4 restore          read creds + 1,000 keys
 *
 * Two layers are measured:
 *   auth state  what Baileys calls (keys.get / keys.set / saveCreds), serialization included:
 *               wafleet memory, SQLite and Postgres through useStorageAuthState; Baileys'
 *               useMultiFileAuthState; a naive per-key Postgres store (one query per key, run one
 *               after another as the community package postgres-baileys does, and all at once).
 *   adapter     the same rows as bytes, straight into the adapter (auth.commit / getKeys), next
 *               to the floor: the same rows written and read by one raw multi-row statement each.
 *
 * Postgres: WAFLEET_BENCH_PG_URL or WAFLEET_TEST_PG_URL (a throwaway schema is created and dropped).
 * BENCH_SECONDS (default 3) bounds each measurement (split over 3 interleaved rounds).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import {
  BufferJSON,
  Curve,
  initAuthCreds,
  useMultiFileAuthState,
  type AuthenticationCreds,
  type SignalDataSet,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import pg from 'pg'
import { createMemoryStorage, useStorageAuthState, type KeyChanges, type StorageAdapter } from '../src/index.js'
import { newSessionRecord } from '../src/storage/records.js'
import { packBytes } from '../src/storage/postgres/bytes-param.js'
import { keyRef } from '../src/storage/postgres/key-ref.js'
import { createPostgresStorage } from '../src/storage/postgres/index.js'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const MAX_OPS = 2_000
const PG_URL = process.env.WAFLEET_BENCH_PG_URL ?? process.env.WAFLEET_TEST_PG_URL
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc (npm run bench:storage does)')

// ---------------------------------------------------------------- data shaped like Baileys' own

const PREKEYS = 812
const GROUP_DEVICES = 256
const RESTORE_KEYS = 1_000
const SESSION_BYTES = 1_500 // a libsignal session record with a few chains

// Generated once: key generation and random bytes cost the same for every store and are not storage.
const PREKEY_SET: SignalDataSet['pre-key'] = Object.fromEntries(Array.from({ length: PREKEYS }, (_, i) => [String(i + 1), Curve.generateKeyPair()]))
const preKeySet = () => PREKEY_SET
/** The 812 pre-keys under ids of the i-th upload (new rows every time). */
const preKeyRange = (i: number) => Object.fromEntries(Object.values(PREKEY_SET!).map((pair, k) => [String(i * PREKEYS + k + 1), pair]))
const deviceAddress = (i: number) => `55119${String(i).padStart(8, '0')}.${i % 3}`
const deviceJid = (i: number) => `55119${String(i).padStart(8, '0')}:${i % 3}@s.whatsapp.net`
const SESSION_RECORDS = Array.from({ length: 16 }, () => randomBytes(SESSION_BYTES))
let nextRecord = 0
/** A session record (rotating through a few), so rewrites change bytes like ratchet steps do. */
const sessionRecord = () => SESSION_RECORDS[nextRecord++ % SESSION_RECORDS.length]!
const groupSessions = () => Object.fromEntries(Array.from({ length: GROUP_DEVICES }, (_, i) => [deviceAddress(i), sessionRecord()]))
const SENDER_KEY_MEMORY = { '120363000000000001@g.us': Object.fromEntries(Array.from({ length: GROUP_DEVICES }, (_, i) => [deviceJid(i), true])) }
const senderKeyMemory = () => SENDER_KEY_MEMORY
/** The 1,000 keys a restore reads: every pre-key and the rest sessions. */
const restoreIds = () => ({
  'pre-key': Array.from({ length: PREKEYS }, (_, i) => String(i + 1)),
  session: Array.from({ length: RESTORE_KEYS - PREKEYS }, (_, i) => deviceAddress(i)),
})

// ---------------------------------------------------------------- measurement

interface Result {
  ops: number
  opsPerSecond: number
  p50: number
  p99: number
}

async function measure(op: () => Promise<void>): Promise<{ result: Result; times: number[] }> {
  for (let i = 0; i < 3; i++) await op() // warm-up (statement caches, JIT)
  gc!()
  const times: number[] = []
  const started = performance.now()
  while (times.length < MAX_OPS && performance.now() - started < (SECONDS * 1000) / ROUNDS) {
    const t = performance.now()
    await op()
    times.push(performance.now() - t)
  }
  const total = performance.now() - started
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { result: { ops: times.length, opsPerSecond: (times.length / total) * 1000, p50: at(0.5), p99: at(0.99) }, times }
}

// ---------------------------------------------------------------- auth-state layer

interface AuthState {
  creds: AuthenticationCreds
  keys: SignalKeyStore
  saveCreds(): Promise<void>
}

interface AuthStore {
  name: string
  /** An auth state for one session, created if missing (as on start-up). */
  open(sessionId: string): Promise<AuthState>
  close(): Promise<void>
}

function wafleetStore(name: string, storage: StorageAdapter): AuthStore {
  return {
    name,
    open: async (sessionId) => {
      const { state, saveCreds } = await useStorageAuthState(storage, sessionId)
      return { creds: state.creds, keys: state.keys, saveCreds }
    },
    close: () => storage.close(),
  }
}

function multiFileStore(dir: string): AuthStore {
  return {
    name: 'Baileys useMultiFileAuthState',
    open: async (sessionId) => {
      const { state, saveCreds } = await useMultiFileAuthState(join(dir, sessionId))
      return { creds: state.creds, keys: state.keys, saveCreds }
    },
    close: async () => undefined,
  }
}

/**
 * How a per-key store runs its queries. `sequential` is what the most installed community package
 * does (`postgres-baileys`: `for ... await writeData(...)`, each query its own autocommit on a pooled
 * connection); `parallel` is the kinder variant that copies `useMultiFileAuthState`'s `Promise.all`.
 */
type PerKeyMode = 'sequential' | 'parallel'

const runEach = async (mode: PerKeyMode, tasks: (() => Promise<unknown>)[]): Promise<void> => {
  if (mode === 'parallel') {
    await Promise.all(tasks.map((task) => task()))
    return
  }
  for (const task of tasks) await task()
}

const perKeyName = (mode: PerKeyMode) => `naive per-key Postgres store (${mode})`

/** One row per key, one query per key, no transaction. */
function naivePgStore(pool: pg.Pool, table: string, mode: PerKeyMode): AuthStore {
  const write = (key: string, value: unknown) =>
    value === null || value === undefined
      ? pool.query(`DELETE FROM ${table} WHERE session_key = $1`, [key])
      : pool.query(`INSERT INTO ${table} (session_key, data) VALUES ($1, $2) ON CONFLICT (session_key) DO UPDATE SET data = excluded.data`, [
          key,
          JSON.stringify(value, BufferJSON.replacer),
        ])
  const read = async (key: string) => {
    const row = (await pool.query(`SELECT data FROM ${table} WHERE session_key = $1`, [key])).rows[0] as { data: string } | undefined
    return row ? JSON.parse(row.data, BufferJSON.reviver) : null
  }
  return {
    name: perKeyName(mode),
    open: async (sessionId) => {
      const creds = ((await read(`${sessionId}:creds`)) as AuthenticationCreds | null) ?? initAuthCreds()
      return {
        creds,
        saveCreds: async () => {
          await write(`${sessionId}:creds`, creds)
        },
        keys: {
          get: async (type, ids) => {
            const out: Record<string, any> = {}
            await runEach(mode, ids.map((id) => async () => (out[id] = await read(`${sessionId}:${type}-${id}`))))
            for (const id of ids) if (out[id] === null) delete out[id]
            return out
          },
          set: async (data) => {
            const writes: (() => Promise<unknown>)[] = []
            for (const [type, entries] of Object.entries(data)) {
              for (const [id, value] of Object.entries(entries ?? {})) writes.push(() => write(`${sessionId}:${type}-${id}`, value))
            }
            await runEach(mode, writes)
          },
        },
      }
    },
    close: async () => undefined,
  }
}

/** The four workloads on the auth-state layer. Each returns the op to measure after its setup. */
const authWorkloads: Record<string, (store: AuthStore, run: string) => Promise<(i: number) => Promise<void>>> = {
  'W1 first login': async (store, run) => {
    // The first pre-key upload: 812 new pre-keys, then the creds that count them. Each op uses a new
    // id range (inserts, as on a first login); opening the state (and generating creds) is not timed.
    const state = await store.open(`${run}-login`)
    return async (i) => {
      await state.keys.set({ 'pre-key': preKeyRange(i) })
      state.creds.nextPreKeyId = (i + 1) * PREKEYS + 1
      await state.saveCreds()
    }
  },
  'W2 incoming 1:1': async (store, run) => {
    const state = await store.open(`${run}-incoming`)
    await state.keys.set({ 'pre-key': preKeySet(), session: { [deviceAddress(1)]: sessionRecord() }, 'identity-key': { [deviceAddress(1)]: randomBytes(33) } })
    return async (i) => {
      await state.keys.get('identity-key', [deviceAddress(1)])
      await state.keys.get('session', [deviceAddress(1)])
      await state.keys.set({ session: { [deviceAddress(1)]: sessionRecord() }, 'pre-key': { [String((i % PREKEYS) + 1)]: null } })
    }
  },
  'W3 group send (256 devices)': async (store, run) => {
    const state = await store.open(`${run}-group`)
    await state.keys.set({ session: groupSessions() })
    const ids = Array.from({ length: GROUP_DEVICES }, (_, i) => deviceAddress(i))
    return async () => {
      await state.keys.get('session', ids)
      await state.keys.set({ session: groupSessions(), 'sender-key-memory': senderKeyMemory() })
    }
  },
  'W4 restore (creds + 1,000 keys)': async (store, run) => {
    const seeded = await store.open(`${run}-restore`)
    await seeded.saveCreds()
    const ids = restoreIds()
    await seeded.keys.set({ 'pre-key': preKeySet(), session: Object.fromEntries(ids.session.map((id) => [id, sessionRecord()])) })
    return async () => {
      const state = await store.open(`${run}-restore`)
      await state.keys.get('pre-key', ids['pre-key'])
      await state.keys.get('session', ids.session)
    }
  },
}

// ---------------------------------------------------------------- adapter layer and the floor

interface RawOps {
  name: string
  /** Writes keys (null deletes) and optionally creds in one go. */
  write(sessionId: string, keys: KeyChanges, creds?: Uint8Array): Promise<void>
  read(sessionId: string, category: string, ids: string[]): Promise<unknown>
  readCreds(sessionId: string): Promise<unknown>
  ensureSession(sessionId: string): Promise<void>
}

function adapterOps(name: string, storage: StorageAdapter): RawOps {
  return {
    name,
    write: (sessionId, keys, creds) => storage.auth.commit(sessionId, creds ? { keys, creds } : { keys }),
    read: (sessionId, category, ids) => storage.auth.getKeys(sessionId, category, ids),
    readCreds: (sessionId) => storage.auth.readCreds(sessionId),
    ensureSession: async (sessionId) => {
      await storage.sessions.create(newSessionRecord({ id: sessionId, name: sessionId }))
    },
  }
}

/**
 * The floor: the same rows into the same tables (the adapter's schema, its constraints included), by
 * hand-written single statements with no adapter around them.
 */
function floorOps(pool: pg.Pool, schema: string): RawOps {
  const s = `"${schema}"`
  return {
    name: 'floor: one raw multi-row statement',
    write: async (sessionId, keys, creds) => {
      const up = Object.entries(keys).flatMap(([c, entries]) => Object.entries(entries).filter(([, v]) => v !== null).map(([id, v]) => [c, id, v] as const))
      const del = Object.entries(keys).flatMap(([c, entries]) => Object.entries(entries).filter(([, v]) => v === null).map(([id]) => [c, id] as const))
      // Values and id references travel as binary parameters, as the adapter sends them
      // (src/storage/postgres/bytes-param.ts, key-ref.ts).
      const packed = packBytes(up.map((r) => r[2]!))
      const refs = packBytes(up.map((r) => keyRef(r[1])))
      await pool.query(
        `WITH up AS (INSERT INTO ${s}.keys (session_id, category, key_id, key_ref, value)
            SELECT $1, u.c, u.i, substring($10::bytea from u.ro + 1 for u.rl), substring($4::bytea from u.o + 1 for u.l)
            FROM unnest($2::text[], $3::text[], $8::integer[], $9::integer[], $11::integer[], $12::integer[]) AS u(c, i, o, l, ro, rl)
            ON CONFLICT (session_id, category, key_ref) DO UPDATE SET value = excluded.value),
          del AS (DELETE FROM ${s}.keys k USING unnest($5::text[], $6::bytea[]) d(c, r) WHERE k.session_id = $1 AND k.category = d.c AND k.key_ref = d.r),
          cr AS (INSERT INTO ${s}.creds (session_id, value, updated_at) SELECT $1, $7, now() WHERE $7::bytea IS NOT NULL
            ON CONFLICT (session_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)
          SELECT 1`,
        [
          sessionId,
          up.map((r) => r[0]),
          up.map((r) => r[1]),
          packed.blob,
          del.map((r) => r[0]),
          del.map((r) => keyRef(r[1])),
          creds ?? null,
          packed.offsets,
          packed.lengths,
          refs.blob,
          refs.offsets,
          refs.lengths,
        ],
      )
    },
    read: (sessionId, category, ids) =>
      pool.query(`SELECT key_id, value FROM ${s}.keys WHERE session_id = $1 AND category = $2 AND key_ref = ANY($3::bytea[])`, [sessionId, category, ids.map(keyRef)]),
    readCreds: (sessionId) => pool.query(`SELECT value FROM ${s}.creds WHERE session_id = $1`, [sessionId]),
    ensureSession: async (sessionId) => {
      await pool.query(
        `INSERT INTO ${s}.sessions (id, name, status, desired_state, webhooks, metadata, stats, created_at, updated_at, version)
          VALUES ($1, $1, 'stopped', 'stopped', '[]', '{}', '{}', now(), now(), 1)`,
        [sessionId],
      )
    },
  }
}

/** The per-key pattern at the byte level: one query per key (see PerKeyMode). */
function naiveOps(pool: pg.Pool, table: string, mode: PerKeyMode): RawOps {
  const upsert = (key: string, value: Uint8Array) => () =>
    pool.query(`INSERT INTO ${table} (session_key, data) VALUES ($1, $2) ON CONFLICT (session_key) DO UPDATE SET data = excluded.data`, [key, value])
  const select = (key: string) => () => pool.query(`SELECT data FROM ${table} WHERE session_key = $1`, [key])
  return {
    name: perKeyName(mode),
    write: async (sessionId, keys, creds) => {
      const writes: (() => Promise<unknown>)[] = []
      for (const [category, entries] of Object.entries(keys)) {
        for (const [id, value] of Object.entries(entries)) {
          const key = `${sessionId}:${category}-${id}`
          writes.push(value === null ? () => pool.query(`DELETE FROM ${table} WHERE session_key = $1`, [key]) : upsert(key, value))
        }
      }
      if (creds) writes.push(upsert(`${sessionId}:creds`, creds))
      await runEach(mode, writes)
    },
    read: (sessionId, category, ids) => runEach(mode, ids.map((id) => select(`${sessionId}:${category}-${id}`))),
    readCreds: (sessionId) => select(`${sessionId}:creds`)(),
    ensureSession: async () => undefined,
  }
}

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value, BufferJSON.replacer))
const ENCODED_PREKEYS = Object.fromEntries(Object.entries(PREKEY_SET!).map(([id, v]) => [id, bytesOf(v)]))
const encodedPreKeys = () => ENCODED_PREKEYS
const ENCODED_PREKEY_VALUES = Object.values(ENCODED_PREKEYS)
const encodedPreKeyRange = (i: number) => Object.fromEntries(ENCODED_PREKEY_VALUES.map((bytes, k) => [String(i * PREKEYS + k + 1), bytes]))
const CREDS = bytesOf(initAuthCreds())

const rawWorkloads: Record<string, (ops: RawOps, run: string) => Promise<(i: number) => Promise<void>>> = {
  'W1 first login': async (ops, run) => {
    const id = `${run}-login`
    await ops.ensureSession(id)
    return async (i) => {
      await ops.write(id, { 'pre-key': encodedPreKeyRange(i) }, CREDS)
    }
  },
  'W2 incoming 1:1': async (ops, run) => {
    const id = `${run}-incoming`
    await ops.ensureSession(id)
    await ops.write(id, { 'pre-key': encodedPreKeys(), session: { [deviceAddress(1)]: sessionRecord() }, 'identity-key': { [deviceAddress(1)]: randomBytes(33) } })
    return async (i) => {
      await ops.read(id, 'identity-key', [deviceAddress(1)])
      await ops.read(id, 'session', [deviceAddress(1)])
      await ops.write(id, { session: { [deviceAddress(1)]: sessionRecord() }, 'pre-key': { [String((i % PREKEYS) + 1)]: null } })
    }
  },
  'W3 group send (256 devices)': async (ops, run) => {
    const id = `${run}-group`
    await ops.ensureSession(id)
    await ops.write(id, { session: groupSessions() })
    const ids = Array.from({ length: GROUP_DEVICES }, (_, i) => deviceAddress(i))
    const memory = Object.fromEntries(Object.entries(senderKeyMemory()).map(([k, v]) => [k, bytesOf(v)]))
    return async () => {
      await ops.read(id, 'session', ids)
      await ops.write(id, { session: groupSessions(), 'sender-key-memory': memory })
    }
  },
  'W4 restore (creds + 1,000 keys)': async (ops, run) => {
    const id = `${run}-restore`
    const ids = restoreIds()
    await ops.ensureSession(id)
    await ops.write(id, { 'pre-key': encodedPreKeys(), session: Object.fromEntries(ids.session.map((k) => [k, sessionRecord()])) }, CREDS)
    return async () => {
      await ops.readCreds(id)
      await ops.read(id, 'pre-key', ids['pre-key'])
      await ops.read(id, 'session', ids.session)
    }
  },
}

// ---------------------------------------------------------------- run and report

type Table = Map<string, Map<string, Result>> // store -> workload -> result

const ROUNDS = 3

/** Middle round by throughput; percentiles over every sample of every round. */
function combine(rounds: { result: Result; times: number[] }[]): Result {
  const byRate = [...rounds].sort((a, b) => a.result.opsPerSecond - b.result.opsPerSecond)
  const times = rounds.flatMap((r) => r.times).sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!
  return { ops: times.length, opsPerSecond: byRate[Math.floor(byRate.length / 2)]!.result.opsPerSecond, p50: at(0.5), p99: at(0.99) }
}

/**
 * Stores take turns within each workload (round 1 of every store, then round 2, ...), so slow drift
 * of the machine (caches, autovacuum, the other tenant of the VM) spreads over all of them.
 */
async function runLayer<S extends { name: string }>(
  stores: S[],
  workloads: Record<string, (store: S, run: string) => Promise<(i: number) => Promise<void>>>,
): Promise<Table> {
  const table: Table = new Map(stores.map((s) => [s.name, new Map<string, Result>()]))
  for (const [workload, setup] of Object.entries(workloads)) {
    const ops = await Promise.all(stores.map((store) => setup(store, randomBytes(4).toString('hex'))))
    const rounds = stores.map(() => [] as { result: Result; times: number[] }[])
    // Each store's op gets its own running index (W1 needs a new session id every time).
    const next = stores.map(() => 0)
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, op] of ops.entries()) rounds[i]!.push(await measure(() => op(next[i]!++)))
    }
    for (const [i, store] of stores.entries()) {
      const result = combine(rounds[i]!)
      table.get(store.name)!.set(workload, result)
      process.stderr.write(`  ${store.name.padEnd(44)} ${workload.padEnd(32)} ${result.opsPerSecond.toFixed(1).padStart(9)} ops/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms\n`)
    }
  }
  return table
}

function markdown(title: string, table: Table): string {
  const workloads = [...[...table.values()][0]!.keys()]
  const lines = [`**${title}** (ops/s, p50 / p99 in ms)`, '', `| store | ${workloads.join(' | ')} |`, `|---|${workloads.map(() => '---').join('|')}|`]
  for (const [store, row] of table) {
    lines.push(`| ${store} | ${workloads.map((w) => {
      const r = row.get(w)!
      return `${r.opsPerSecond.toFixed(r.opsPerSecond < 100 ? 1 : 0)} (${r.p50.toFixed(2)} / ${r.p99.toFixed(2)})`
    }).join(' | ')} |`)
  }
  return lines.join('\n')
}

function ratio(table: Table, a: string, b: string, workload: string, invert = false): string {
  const x = table.get(a)?.get(workload)
  const y = table.get(b)?.get(workload)
  if (!x || !y) return 'n/a'
  return (invert ? y.opsPerSecond / x.opsPerSecond : x.opsPerSecond / y.opsPerSecond).toFixed(2)
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-bench-'))
  const schema = `wafleet_bench_${process.pid}`
  const pool = PG_URL ? new pg.Pool({ connectionString: PG_URL, max: 10 }) : undefined
  const cleanups: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })]
  try {
    const memory = createMemoryStorage()
    const sqlite = createSqliteStorage({ filename: join(dir, 'bench.sqlite') })
    const sqliteNormal = createSqliteStorage({ filename: join(dir, 'bench-normal.sqlite'), synchronous: 'NORMAL' })
    const authStores: AuthStore[] = [
      wafleetStore('wafleet memory', memory),
      wafleetStore('wafleet SQLite (synchronous=FULL, default)', sqlite),
      wafleetStore('wafleet SQLite (synchronous=NORMAL)', sqliteNormal),
      multiFileStore(join(dir, 'multi-file')),
    ]
    const rawStores: RawOps[] = [adapterOps('wafleet memory', memory), adapterOps('wafleet SQLite', sqlite)]
    if (pool) {
      const postgres = createPostgresStorage({ pool, schema })
      await postgres.init()
      cleanups.push(() => pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
      const naive = `"${schema}".naive_auth`
      await pool.query(`CREATE TABLE ${naive} (session_key varchar(255) PRIMARY KEY, data text NOT NULL)`)
      const naiveBytes = `"${schema}".naive_auth_bytes`
      await pool.query(`CREATE TABLE ${naiveBytes} (session_key varchar(255) PRIMARY KEY, data bytea NOT NULL)`)
      authStores.splice(3, 0, wafleetStore('wafleet Postgres', postgres))
      authStores.push(naivePgStore(pool, naive, 'sequential'), naivePgStore(pool, naive, 'parallel'))
      rawStores.push(
        adapterOps('wafleet Postgres', postgres),
        floorOps(pool, schema),
        naiveOps(pool, naiveBytes, 'sequential'),
        naiveOps(pool, naiveBytes, 'parallel'),
      )
    } else {
      process.stderr.write('!!! No WAFLEET_BENCH_PG_URL / WAFLEET_TEST_PG_URL: Postgres rows are skipped.\n')
    }

    process.stderr.write('auth-state layer (what Baileys calls, serialization included)\n')
    const auth = await runLayer(authStores, authWorkloads)
    process.stderr.write('adapter layer (bytes) and the floor\n')
    const raw = await runLayer(rawStores, rawWorkloads)

    const W1 = 'W1 first login'
    const W3 = 'W3 group send (256 devices)'
    const targets = [
      `| Postgres vs floor, W1 (floor time / ours; target >= 0.67, i.e. within 1.5x) | ${ratio(raw, 'wafleet Postgres', 'floor: one raw multi-row statement', W1)} |`,
      `| Postgres vs floor, W3 (target >= 0.67) | ${ratio(raw, 'wafleet Postgres', 'floor: one raw multi-row statement', W3)} |`,
      `| Postgres vs per-key store (sequential), W1, auth-state layer (target >= 10) | ${ratio(auth, 'wafleet Postgres', perKeyName('sequential'), W1)} |`,
      `| Postgres vs per-key store (sequential), W1, adapter layer (target >= 10) | ${ratio(raw, 'wafleet Postgres', perKeyName('sequential'), W1)} |`,
      `| Postgres vs per-key store (parallel), W1, auth-state layer | ${ratio(auth, 'wafleet Postgres', perKeyName('parallel'), W1)} |`,
      `| Postgres vs per-key store (parallel), W1, adapter layer | ${ratio(raw, 'wafleet Postgres', perKeyName('parallel'), W1)} |`,
      `| SQLite (FULL) vs useMultiFileAuthState, W1 (target >= 5) | ${ratio(auth, 'wafleet SQLite (synchronous=FULL, default)', 'Baileys useMultiFileAuthState', W1)} |`,
      `| SQLite (FULL) vs useMultiFileAuthState, W3 (target >= 5) | ${ratio(auth, 'wafleet SQLite (synchronous=FULL, default)', 'Baileys useMultiFileAuthState', W3)} |`,
      `| SQLite (NORMAL) vs useMultiFileAuthState, W1 | ${ratio(auth, 'wafleet SQLite (synchronous=NORMAL)', 'Baileys useMultiFileAuthState', W1)} |`,
      `| SQLite (NORMAL) vs useMultiFileAuthState, W3 | ${ratio(auth, 'wafleet SQLite (synchronous=NORMAL)', 'Baileys useMultiFileAuthState', W3)} |`,
    ]
    console.log(`Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; ${SECONDS} s per measurement\n`)
    console.log(markdown('Auth-state layer', auth))
    console.log()
    console.log(markdown('Adapter layer and floor', raw))
    console.log()
    console.log(['| target | ratio (ops/s ours / ops/s theirs) |', '|---|---|', ...targets].join('\n'))
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
    await pool?.end()
  }
}

await main()
