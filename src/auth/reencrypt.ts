import { SessionError, StorageError, ValidationError } from '../errors.js'
import { sessionNotFound } from '../storage/contract-errors.js'
import { storageCapabilities, type KeyChanges, type Lease, type StorageAdapter } from '../storage/types.js'
import { credsContext, keyContext } from './auth-store.js'
import { createValueCodec, isPlainFormat, type ValueCodec } from './codec.js'
import { createCipher, FORMAT_ENCRYPTED, type EncryptionOptions, type ValueCipher } from './encryption.js'

export interface ReencryptOptions {
  /** The new configuration: `current` is the key to write with; `keys` must still hold every old key in use. */
  encryption: EncryptionOptions
  /** Sessions to rewrite. @default every session in the storage */
  sessionIds?: readonly string[]
  /**
   * Keys read and rewritten per batch (one `scanKeys` page, one commit).
   * @default 500
   */
  batchSize?: number
  /**
   * With the `leases` capability, each session is leased for this long while it is rewritten (renewed
   * every batch), and every write carries the fencing token.
   * @default 60_000
   */
  leaseTtlMs?: number
}

export interface ReencryptReport {
  /** Sessions visited. */
  sessions: number
  /** Credentials rewritten. */
  creds: number
  /** Keys rewritten. */
  keys: number
  /** Sessions skipped because another owner holds their lease (run again once they are stopped). */
  busy: string[]
}

const DEFAULT_BATCH = 500
const DEFAULT_LEASE_TTL = 60_000

/**
 * The plaintext inside `bytes` sealed again with the current key. Works on the stored bytes (not the
 * decoded value), so the rewritten plaintext is exactly what was written.
 */
function reseal(cipher: ValueCipher, bytes: Uint8Array, context: string): Uint8Array {
  const plain = bytes[0] === FORMAT_ENCRYPTED ? cipher.open(bytes, context) : bytes
  if (!isPlainFormat(plain[0])) {
    throw new StorageError('CODEC_ERROR', `Stored value for ${context} has an unknown format tag ${String(plain[0])}`, { details: { context } })
  }
  return cipher.seal(plain, context)
}

interface RewriteContext {
  cipher: ValueCipher
  codec: ValueCodec
  batchSize: number
  fence: { fencingToken?: bigint }
  keepLease: () => Promise<void>
}

async function rewriteSession(storage: StorageAdapter, sessionId: string, ctx: RewriteContext, report: ReencryptReport): Promise<void> {
  const { cipher, codec, fence } = ctx
  report.sessions++
  const creds = await storage.auth.readCreds(sessionId)
  if (creds && codec.isStale(creds)) {
    await storage.auth.commit(sessionId, { creds: reseal(cipher, creds, credsContext(sessionId)), ...fence })
    report.creds++
  }
  let after: { category: string; id: string } | undefined
  for (;;) {
    const page = await storage.auth.scanKeys(sessionId, { limit: ctx.batchSize, ...(after ? { after } : {}) })
    if (page.length === 0) return
    const changes: KeyChanges = {}
    let changed = 0
    for (const key of page) {
      if (!codec.isStale(key.value)) continue
      ;(changes[key.category] ??= {})[key.id] = reseal(cipher, key.value, keyContext(sessionId, key.category, key.id))
      changed++
    }
    if (changed > 0) {
      await ctx.keepLease()
      await storage.auth.commit(sessionId, { keys: changes, ...fence })
      report.keys += changed
    }
    const last = page.at(-1)!
    after = { category: last.category, id: last.id }
  }
}

async function allSessionIds(storage: StorageAdapter): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | undefined
  do {
    const page = await storage.sessions.list({ limit: 1000, ...(cursor ? { cursor } : {}) })
    ids.push(...page.items.map((s) => s.id))
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return ids
}

/**
 * Rewrites credentials and Signal keys that are not encrypted with `encryption.current` (written with
 * an older key, or before encryption was turned on), so old keys can then be removed from the config.
 * Idempotent: values already under the current key are left alone, and an interrupted run can simply
 * be run again. Any value that cannot be decrypted stops the run with its coded error
 * (`ENCRYPTION_KEY_MISSING`, `DECRYPTION_FAILED`); nothing is skipped silently.
 *
 * Run it while the sessions are not running (before `manager.start()` or after `manager.stop()`): a
 * running session rewrites its keys concurrently and a stale copy written back here would lose Signal
 * state. With the `leases` capability each session is leased (and writes are fenced) while it is
 * rewritten, and sessions leased by someone else are reported in `busy` instead.
 */
export async function reencryptStorage(storage: StorageAdapter, options: ReencryptOptions): Promise<ReencryptReport> {
  const cipher = createCipher(options.encryption)
  const codec = createValueCodec({ encryption: options.encryption })
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const leaseTtl = options.leaseTtlMs ?? DEFAULT_LEASE_TTL
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError('VALIDATION_ERROR', 'batchSize must be a positive integer', { details: { field: 'batchSize' } })
  const leases = storageCapabilities(storage).leases ? storage.leases! : undefined
  const owner = `wafleet-reencrypt:${process.pid}:${Date.now()}`
  const report: ReencryptReport = { sessions: 0, creds: 0, keys: 0, busy: [] }

  await storage.init()
  for (const sessionId of options.sessionIds ?? (await allSessionIds(storage))) {
    // An id the caller named that does not exist is a mistake worth hearing about.
    if (options.sessionIds && !(await storage.sessions.get(sessionId))) throw sessionNotFound(sessionId)
    let lease: Lease | null | undefined
    if (leases) {
      lease = await leases.acquire(sessionId, owner, leaseTtl)
      if (!lease) {
        report.busy.push(sessionId)
        continue
      }
    }
    const fence = lease ? { fencingToken: lease.token } : {}
    const keepLease = async () => {
      if (lease && !(await leases!.renew(sessionId, owner, lease.token, leaseTtl))) {
        throw new SessionError('SESSION_BUSY', `Lost the lease on session ${sessionId} while re-encrypting it`, { details: { sessionId } })
      }
    }
    try {
      await rewriteSession(storage, sessionId, { cipher, codec, batchSize, fence, keepLease }, report)
    } catch (error) {
      // The rewrite's error is the one to report; if the release fails too, the lease simply expires.
      if (lease) await leases!.release(sessionId, owner, lease.token).catch(() => undefined)
      throw error
    }
    if (lease) await leases!.release(sessionId, owner, lease.token)
  }
  return report
}
