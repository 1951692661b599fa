// Public API of 'wafleet'. Values and types are exported separately and explicitly.

export { WafleetError, ValidationError, SessionError, ConnectionError, SendError, StorageError, EncryptionError, PluginError, isWafleetError } from './errors.js'
export type { WafleetErrorCode, WafleetErrorOptions } from './errors.js'

export { createMemoryStorage, createMemoryBacking } from './storage/memory.js'
export type { MemoryStorageOptions, MemoryBacking } from './storage/memory.js'
export { storageCapabilities, SESSION_STATUSES } from './storage/types.js'
export type * from './storage/types.js'

export { useStorageAuthState } from './auth/use-storage-auth-state.js'
export type { StorageAuthState, StorageAuthStateOptions } from './auth/use-storage-auth-state.js'
export type { EncryptionOptions, EncryptionKey } from './auth/encryption.js'
