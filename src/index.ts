// Public API of 'wafleet'. Values and types are exported separately and explicitly.

export { SessionManager } from './manager/session-manager.js'
export type { CreateSessionInput, ListSessionsPage, HealthReport } from './manager/session-manager.js'
export type { SessionManagerOptions, RestoreOptions } from './manager/options.js'
export { TenantView } from './manager/tenant-view.js'

export { Session, SETTLED_STATUSES } from './session/session.js'
export type { QrState, SendOptions } from './session/session.js'
export type { SessionUpdate } from './session/session-update.js'
export type { ReconnectOptions } from './session/runtime.js'
export { classifyDisconnect } from './session/disconnect.js'
export type { DisconnectAction, DisconnectOutcome } from './session/disconnect.js'
export { renderQrDataUrl, renderQrPng, renderQrTerminal } from './session/qr.js'

export { WafleetError, ValidationError, SessionError, ConnectionError, SendError, StorageError, EncryptionError, PluginError, isWafleetError } from './errors.js'
export type { WafleetErrorCode, WafleetErrorOptions } from './errors.js'

export { WHATSAPP_EVENTS, LIFECYCLE_EVENTS, SESSION_EVENTS, isSessionEventName } from './events.js'
export type * from './events.js'

export { createSafeLogger, createSilentLogger, redact } from './logger.js'
export type { Logger } from './logger.js'

export { parseRecipient, parsePhoneNumber, normalizePhoneNumber } from './messages/recipient.js'
export type { Recipient, RecipientKind } from './messages/recipient.js'
export { MEDIA_TYPES } from './messages/media.js'
export type { MediaInput, MediaType } from './messages/media.js'
export type { LocationInput, ContactCardInput, PollInput } from './messages/content.js'

export type { Plugin, PluginContext, PluginTeardown, SendRequest, SendNext, SendWrapper, SocketConfigHook, SessionConfigInput, SessionValidator } from './plugins/types.js'

export type { SocketFactory, SocketFactoryOptions, WASocketLike, SocketEvents } from './socket/types.js'
export { baileysSocketFactory } from './socket/baileys.js'

export { createMemoryStorage, createMemoryBacking } from './storage/memory.js'
export type { MemoryStorageOptions, MemoryBacking } from './storage/memory.js'
export { storageCapabilities, SESSION_STATUSES } from './storage/types.js'
export type * from './storage/types.js'

export { useStorageAuthState } from './auth/use-storage-auth-state.js'
export type { StorageAuthState, StorageAuthStateOptions } from './auth/use-storage-auth-state.js'
export type { EncryptionOptions, EncryptionKey } from './auth/encryption.js'
export { reencryptStorage } from './auth/reencrypt.js'
export type { ReencryptOptions, ReencryptReport } from './auth/reencrypt.js'
