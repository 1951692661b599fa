/**
 * Crash test: a child process commits batches (keys plus creds) in a loop and is killed with SIGKILL
 * at random moments. After every kill the store must hold exactly the last two complete batches
 * named by the creds: each batch is there whole or not at all, and creds never get ahead of (or
 * behind) their keys.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import type { StorageAdapter } from '../../src/index.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'
import { describePostgres, dropSchema, uniqueSchemaName } from '../helpers/postgres.js'
import { batchKeys, CRASH_SESSION, decodeCreds, value } from './fixtures/crash-batches.js'

const WRITER = resolve(import.meta.dirname, 'fixtures/crash-writer.ts')
const KILLS = 40
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** Starts the writer and resolves once it has opened the store and begun committing. */
function startWriter(args: string[]): Promise<{ kill: () => Promise<void>; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`writer did not start in 20 s: ${err}`)), 20_000)
    child.stdout.on('data', (d: Buffer) => {
      if (!d.toString().startsWith('ready')) return
      clearTimeout(timer)
      ready({
        kill: async () => {
          child.kill('SIGKILL')
          await exited
        },
        stderr: () => err,
      })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`writer exited (${code}) before it was killed: ${err}`))
    })
  })
}

/** Everything stored for the crash session must be exactly batches c-1 and c, where c is in the creds. */
async function checkBatches(storage: StorageAdapter): Promise<number> {
  const creds = await storage.auth.readCreds(CRASH_SESSION)
  const batch = creds ? decodeCreds(creds) : 0
  const expected = new Map<string, string>()
  for (const b of [batch - 1, batch]) for (const id of batchKeys(b)) expected.set(`pre-key/${id}`, hex(value(b, id)))
  if (batch > 0) expected.set('session/current', hex(value(batch, 'current')))
  const actual = new Map<string, string>()
  let after: { category: string; id: string } | undefined
  for (;;) {
    const page = await storage.auth.scanKeys(CRASH_SESSION, { limit: 1000, ...(after ? { after } : {}) })
    if (page.length === 0) break
    for (const k of page) actual.set(`${k.category}/${k.id}`, hex(k.value))
    after = page.at(-1)
  }
  const missing = [...expected.keys()].filter((k) => actual.get(k) !== expected.get(k))
  const extra = [...actual.keys()].filter((k) => !expected.has(k))
  expect({ batch, missing: missing.slice(0, 5), missingCount: missing.length, extra: extra.slice(0, 5), extraCount: extra.length }).toEqual({
    batch,
    missing: [],
    missingCount: 0,
    extra: [],
    extraCount: 0,
  })
  return batch
}

async function crashRepeatedly(args: string[], open: () => StorageAdapter, settle: () => Promise<void> = async () => undefined) {
  const seen: number[] = []
  for (let kill = 0; kill < KILLS; kill++) {
    const writer = await startWriter(args)
    // Random moments: right at start-up, mid-batch, between batches.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)))
    await writer.kill()
    await settle()
    const storage = open()
    try {
      seen.push(await checkBatches(storage))
    } finally {
      await storage.close()
    }
  }
  // The writer made progress across the kills (so the kills hit a store in motion, not an idle one).
  expect(seen.at(-1)!).toBeGreaterThan(KILLS)
  expect(new Set(seen).size).toBeGreaterThan(KILLS / 2)
}

describe('crash safety: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test(`SIGKILL at random moments, ${KILLS} times: every batch whole or absent, creds match keys`, async () => {
    const file = join(dir, 'crash.sqlite')
    await crashRepeatedly(['sqlite', file], () => createSqliteStorage({ filename: file }))
  }, 90_000)
})

describePostgres('crash safety: Postgres', (url) => {
  const schema = uniqueSchemaName('crash')
  const writerName = `wafleet-crash-${schema}`.slice(0, 63)
  const admin = new pg.Pool({ connectionString: url, max: 1 })
  afterAll(async () => {
    await dropSchema(url, schema)
    await admin.end()
  })

  /**
   * The server runs a statement to its end even when the client has died: the killed writer's last
   * commit may still land after the kill. It lands whole or not at all (that is what is checked), but
   * the check reads creds and keys in separate statements, so it waits for that backend to finish.
   */
  const settle = async () => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [writerName])
      if (rows[0].n === 0) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error('the killed writer\'s backend did not finish in 5 s')
  }

  test(`SIGKILL at random moments, ${KILLS} times: every batch whole or absent, creds match keys`, async () => {
    const writerUrl = `${url}${url.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(writerName)}`
    await crashRepeatedly(['postgres', writerUrl, schema], () => createPostgresStorage({ connectionString: url, schema, maxConnections: 2 }), settle)
  }, 90_000)
})
