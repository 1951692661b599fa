/**
 * Crash test: a child process records events into a SQL outbox and is killed with SIGKILL while
 * deliveries are pending: some delivered, some in flight (the receiver holds them), most not yet
 * claimed. A new process must deliver every one of them, with the ids they were stored with.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { StorageAdapter } from '../../src/index.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'
import { describePostgres, dropSchema, uniqueSchemaName } from '../helpers/postgres.js'
import { startReceiver, type Receiver } from './helpers/receiver.js'

const CHILD = resolve(import.meta.dirname, 'fixtures/webhook-crash-child.ts')
const EVENTS = 150
/** The receiver answers this many at once, then holds every later request until the kill. */
const ANSWERED = 10

interface Child {
  line(text: string): Promise<void>
  exited: Promise<number | null>
  kill(): Promise<void>
}

function runChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return {
    exited,
    line: (text) =>
      new Promise((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`child did not say "${text}" in 60 s: ${err}`)), 60_000)
        const check = () => {
          if (!out.includes(`${text}\n`)) return
          clearTimeout(timer)
          ready()
        }
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          check()
        })
        void exited.then((code) => {
          clearTimeout(timer)
          if (!out.includes(`${text}\n`)) fail(new Error(`child exited (${code}) before "${text}": ${err}`))
        })
        check()
      }),
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
  }
}

async function crashAndRecover(storageArgs: string[], open: () => StorageAdapter): Promise<void> {
  let receiver: Receiver | undefined
  try {
    receiver = await startReceiver((_, index) => (index < ANSWERED ? {} : { hang: true }))
    const producer = runChild(['produce', ...storageArgs, '--', receiver.url, String(EVENTS)])
    await producer.line('enqueued')
    await receiver.waitFor(ANSWERED + 1) // something is in flight
    await producer.kill()

    const storage = open()
    await storage.init()
    const stored = await storage.outbox!.list({ limit: 10_000 })
    await storage.close()
    expect(stored).toHaveLength(EVENTS)
    const pendingAtCrash = stored.filter((item) => item.status === 'pending').map((item) => item.id)
    expect(pendingAtCrash.length).toBeGreaterThan(EVENTS / 2)

    receiver.reply = () => ({})
    const drainer = runChild(['drain', ...storageArgs, '--', receiver.url, '0'])
    await drainer.line('drained')
    expect(await drainer.exited).toBe(0)

    const after = open()
    await after.init()
    const final = await after.outbox!.list({ limit: 10_000 })
    await after.close()
    // Every stored delivery was delivered, none was lost or replaced by another id.
    expect(final.map((item) => item.id).sort()).toEqual(stored.map((item) => item.id).sort())
    expect(final.filter((item) => item.status !== 'delivered')).toEqual([])
    const seen = new Set(receiver.requests.map((request) => request.headers['x-wafleet-delivery'] as string))
    expect(stored.filter((item) => !seen.has(item.id)).map((item) => item.id)).toEqual([])
    // And every event reached the receiver at least once, with the id it was stored with.
    const events = new Map(receiver.requests.map((request) => {
      const body = JSON.parse(request.body) as { id: string; data: { metadata: { n: number } } }
      return [body.data.metadata.n, body.id] as const
    }))
    expect([...events.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1))
    for (const request of receiver.requests) expect(JSON.parse(request.body).id).toBe(request.headers['x-wafleet-delivery'])
  } finally {
    await receiver?.close()
  }
}

describe('webhooks crash recovery: SQLite outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-webhooks-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a new process delivers every delivery pending when the old one was killed', async () => {
    const file = join(dir, 'outbox.db')
    await crashAndRecover(['sqlite', file], () => createSqliteStorage({ filename: file }))
  }, 120_000)
})

describePostgres('webhooks crash recovery: Postgres outbox', (url) => {
  const schema = uniqueSchemaName('webhooks_crash')
  afterAll(() => dropSchema(url, schema))

  it('a new process delivers every delivery pending when the old one was killed', async () => {
    await crashAndRecover(['postgres', url, schema], () => createPostgresStorage({ connectionString: url, schema }))
  }, 120_000)
})
