import {
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import { toStorageError, type WafleetError } from '../errors.js'
import type { KeyChanges, StorageAdapter } from '../storage/types.js'
import type { ValueCodec } from './codec.js'

export interface AuthStoreHooks {
  /**
   * Called with every failed read or write, besides the rejection the caller gets. Baileys' libsignal
   * turns a failed session read into "No session", so without this a storage outage would look like
   * a decryption problem.
   */
  onError?: (error: WafleetError) => void
  /** Fencing token of the lease this process holds on the session, when leases are in use. */
  fencingToken?: () => bigint | undefined
}

/** Baileys' auth state for one session, persisted through a storage adapter. */
export interface AuthStore {
  /** Stable object; `state.creds` is replaced by `clear()`. Baileys mutates `state.creds` in place. */
  readonly state: AuthenticationState
  /** Persists the whole current credentials (not a partial update). */
  saveCreds(): Promise<void>
  /** Resolves when every write queued so far has been committed (or has failed). */
  flush(): Promise<void>
  /** Removes stored credentials and keys, and starts over with fresh credentials in memory. */
  clear(): Promise<void>
  /**
   * Clears, and ignores every later write: the device was logged out, and a socket that is still
   * winding down must not write keys of the unlinked device back. A new pairing uses a new store.
   */
  retire(): Promise<void>
  /** Paired means `creds.me` and `creds.account` are set; QR pairing never sets `registered`. */
  isPaired(): boolean
}

export const credsContext = (sessionId: string) => `${sessionId}/creds`
export const keyContext = (sessionId: string, category: string, id: string) => `${sessionId}/key/${category}/${id}`

export function isPairedCreds(creds: Pick<AuthenticationCreds, 'me' | 'account'>): boolean {
  return Boolean(creds.me?.id && creds.account)
}

/** Reads stored credentials; a session with none starts with fresh ones. Corrupt or undecryptable data rejects. */
export async function loadAuthStore(
  storage: StorageAdapter,
  sessionId: string,
  codec: ValueCodec,
  hooks: AuthStoreHooks = {},
): Promise<AuthStore> {
  let stored: Uint8Array | null
  try {
    stored = await storage.auth.readCreds(sessionId)
  } catch (error) {
    throw toStorageError(error, 'auth.readCreds')
  }
  const creds = stored ? codec.decode<AuthenticationCreds>(stored, credsContext(sessionId)) : initAuthCreds()
  return createAuthStore(storage, sessionId, codec, creds, hooks)
}

function createAuthStore(
  storage: StorageAdapter,
  sessionId: string,
  codec: ValueCodec,
  initialCreds: AuthenticationCreds,
  hooks: AuthStoreHooks,
): AuthStore {
  // Writes are committed one after another so that an older creds snapshot never lands after a newer one.
  let tail: Promise<void> = Promise.resolve()
  // Latest creds snapshot not yet committed; the next commit of any kind carries it, which closes the
  // gap between Baileys' pre-key batch and the creds update that goes with it.
  let pendingCreds: Uint8Array | null = null
  let retired = false

  const enqueue = (work: () => Promise<void>): Promise<void> => {
    const run = tail.then(work)
    // The chain only orders writes: each caller still receives its own failure through `run`.
    tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  const commit = async (keys: KeyChanges | undefined) => {
    const creds = pendingCreds
    pendingCreds = null
    if (!keys && !creds) return
    const fencingToken = hooks.fencingToken?.()
    try {
      await storage.auth.commit(sessionId, {
        ...(keys ? { keys } : {}),
        ...(creds ? { creds } : {}),
        ...(fencingToken === undefined ? {} : { fencingToken }),
      })
    } catch (error) {
      if (creds && !pendingCreds) pendingCreds = creds
      const wrapped = toStorageError(error, 'auth.commit')
      hooks.onError?.(wrapped)
      throw wrapped
    }
  }

  const keys: SignalKeyStore = {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      await tail
      let found: Map<string, Uint8Array>
      try {
        found = await storage.auth.getKeys(sessionId, type, ids)
      } catch (error) {
        const wrapped = toStorageError(error, 'auth.getKeys')
        hooks.onError?.(wrapped)
        throw wrapped
      }
      const result: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const [id, bytes] of found) {
        let value: SignalDataTypeMap[T]
        try {
          value = codec.decode<SignalDataTypeMap[T]>(bytes, keyContext(sessionId, type, id))
        } catch (error) {
          hooks.onError?.(error as WafleetError)
          throw error
        }
        // Baileys expects the proto class back, as its own file store does after JSON revival.
        result[id] =
          type === 'app-state-sync-key' && value
            ? (proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>) as unknown as SignalDataTypeMap[T])
            : value
      }
      return result
    },
    set(data: SignalDataSet) {
      if (retired) return Promise.resolve()
      // Encode now: Baileys may keep mutating the objects it handed us.
      const changes: KeyChanges = {}
      for (const [category, entries] of Object.entries(data)) {
        if (!entries) continue
        const encoded: Record<string, Uint8Array | null> = {}
        for (const [id, value] of Object.entries(entries)) {
          encoded[id] = value === null || value === undefined ? null : codec.encode(value, keyContext(sessionId, category, id))
        }
        changes[category] = encoded
      }
      return enqueue(() => commit(changes))
    },
    clear: () => store.clear(),
  }

  const state: AuthenticationState = { creds: initialCreds, keys }

  const store: AuthStore = {
    state,
    saveCreds() {
      if (retired) return Promise.resolve()
      pendingCreds = codec.encode(state.creds, credsContext(sessionId))
      return enqueue(() => commit(undefined))
    },
    flush: () => tail,
    clear() {
      pendingCreds = null
      state.creds = initAuthCreds()
      return enqueue(async () => {
        try {
          await storage.auth.clear(sessionId)
        } catch (error) {
          const wrapped = toStorageError(error, 'auth.clear')
          hooks.onError?.(wrapped)
          throw wrapped
        }
      })
    },
    retire() {
      retired = true
      return store.clear()
    },
    isPaired: () => isPairedCreds(state.creds),
  }
  return store
}
