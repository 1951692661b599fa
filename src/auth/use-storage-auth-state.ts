import type { AuthenticationState } from '@whiskeysockets/baileys'
import { isWafleetError, toStorageError } from '../errors.js'
import { newSessionRecord } from '../storage/records.js'
import type { StorageAdapter } from '../storage/types.js'
import { loadAuthStore } from './auth-store.js'
import { createValueCodec, type CodecOptions } from './codec.js'

export type StorageAuthStateOptions = CodecOptions

export interface StorageAuthState {
  state: AuthenticationState
  /** Persist the whole current credentials; wire it to `sock.ev.on('creds.update', saveCreds)`. */
  saveCreds: () => Promise<void>
  /** Remove the stored credentials and keys (after a logout). */
  clear: () => Promise<void>
}

/**
 * Drop-in replacement for Baileys' `useMultiFileAuthState`, backed by any wafleet storage adapter:
 * atomic batched key writes, errors that reject instead of silently re-pairing, optional encryption.
 * A session record named after `sessionId` is created when missing, because every key belongs to one.
 */
export async function useStorageAuthState(
  storage: StorageAdapter,
  sessionId: string,
  options: StorageAuthStateOptions = {},
): Promise<StorageAuthState> {
  const codec = createValueCodec(options)
  try {
    await storage.init()
    if (!(await storage.sessions.get(sessionId))) {
      await storage.sessions.create(newSessionRecord({ id: sessionId, name: sessionId })).catch((error: unknown) => {
        // Another caller created it between our read and write: that is the state we wanted.
        if (isWafleetError(error, 'STORAGE_CONFLICT')) return
        throw error
      })
    }
  } catch (error) {
    throw toStorageError(error, 'useStorageAuthState')
  }
  const store = await loadAuthStore(storage, sessionId, codec)
  return { state: store.state, saveCreds: () => store.saveCreds(), clear: () => store.clear() }
}
