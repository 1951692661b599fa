import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { proto } from '@whiskeysockets/baileys'
import type { SignalDataSet } from '@whiskeysockets/baileys'
import { createMemoryBacking, createMemoryStorage, type StorageAdapter } from '../../src/index.js'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'

export const K1 = Buffer.alloc(32, 0x11).toString('base64')
export const K2 = Buffer.alloc(32, 0x22).toString('hex')
export const K1_WRONG = Buffer.alloc(32, 0x99)

/** The key id an encrypted value was written with (0x02, id length, id), or 'plain' for 0x01 and 0x03. */
export function keyIdOf(bytes: Uint8Array): string {
  if (bytes[0] === 0x01 || bytes[0] === 0x03) return 'plain'
  if (bytes[0] !== 0x02) throw new Error(`unknown format ${bytes[0]}`)
  return Buffer.from(bytes.subarray(2, 2 + bytes[1]!)).toString('utf8')
}

/** Key ids of everything stored for a session: creds and every key, read raw from the adapter. */
export async function storedKeyIds(storage: StorageAdapter, sessionId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  const creds = await storage.auth.readCreds(sessionId)
  if (creds) counts[keyIdOf(creds)] = 1
  for (const key of await storage.auth.scanKeys(sessionId, { limit: 10_000 })) counts[keyIdOf(key.value)] = (counts[keyIdOf(key.value)] ?? 0) + 1
  return counts
}

/** Keys of several categories, like a paired session has. */
export function sampleKeys(n: number, seed = 0): SignalDataSet {
  const preKeys: Record<string, { public: Buffer; private: Buffer }> = {}
  const sessions: Record<string, Uint8Array> = {}
  for (let i = 0; i < n; i++) {
    preKeys[String(seed + i + 1)] = { public: Buffer.alloc(32, i), private: Buffer.alloc(32, i + 1) }
    sessions[`55119${seed + i}.0`] = Buffer.alloc(200, i)
  }
  return {
    'pre-key': preKeys,
    session: sessions,
    'app-state-sync-key': { [`AAAA${seed}/+==`]: proto.Message.AppStateSyncKeyData.create({ keyData: Buffer.from([1, 2, 3]) }) },
    'lid-mapping': { [`55119${seed}`]: '123456789' },
  }
}

export interface Backend {
  name: string
  /** A new adapter instance on the backend's (current) data. */
  open(): StorageAdapter
  /** Starts over with empty data. */
  reset(): void
  cleanup(): void
}

export function memoryBackend(): Backend {
  let backing = createMemoryBacking()
  return {
    name: 'memory',
    open: () => createMemoryStorage({ backing }),
    reset: () => {
      backing = createMemoryBacking()
    },
    cleanup: () => undefined,
  }
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-auth-'))
  let n = 0
  return {
    name: 'sqlite',
    open: () => createSqliteStorage({ filename: join(dir, `db-${n}.sqlite`) }),
    reset: () => {
      n++
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
