import type { BaileysEventMap, ConnectionState } from '@whiskeysockets/baileys'
import type { WafleetErrorCode } from './errors.js'
import type { LastDisconnect, SessionRecord, SessionStats, SessionStatus } from './storage/types.js'

/**
 * WhatsApp events keep Baileys' names and payloads. Two are not forwarded as they are:
 * `creds.update` carries private keys and never leaves the session, and `connection.update` is
 * forwarded without the QR (see `session.qr`) and with `lastDisconnect` as plain data.
 */
export const WHATSAPP_EVENTS = [
  'connection.update',
  'messaging-history.set',
  'messaging-history.status',
  'chats.upsert',
  'chats.update',
  'chats.delete',
  'chats.lock',
  'lid-mapping.update',
  'presence.update',
  'contacts.upsert',
  'contacts.update',
  'messages.delete',
  'messages.update',
  'messages.media-update',
  'messages.upsert',
  'messages.reaction',
  'message-receipt.update',
  'groups.upsert',
  'groups.update',
  'group-participants.update',
  'group.join-request',
  'group.member-tag.update',
  'blocklist.set',
  'blocklist.update',
  'call',
  'labels.edit',
  'labels.association',
  'newsletter.reaction',
  'newsletter.view',
  'newsletter-participants.update',
  'newsletter-settings.update',
  'message-capping.update',
  'settings.update',
] as const satisfies readonly Exclude<keyof BaileysEventMap, 'creds.update'>[]

export type WhatsAppEventName = (typeof WHATSAPP_EVENTS)[number]

/** `connection.update` as wafleet forwards it: no QR, the disconnect as plain data. */
export interface ConnectionUpdate extends Omit<Partial<ConnectionState>, 'qr' | 'lastDisconnect'> {
  lastDisconnect?: LastDisconnect
}

export type WhatsAppEvents = {
  [K in WhatsAppEventName]: K extends 'connection.update' ? ConnectionUpdate : BaileysEventMap[K]
}

/** A session as it may be shown outside the process: no secrets (webhook secrets, proxy passwords). */
export interface SessionInfo extends Omit<SessionRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string
  updatedAt: string
  /** The last error this session reported, if it is still relevant. */
  error: { code: WafleetErrorCode; message: string } | null
}

export interface SessionStatusEvent {
  status: SessionStatus
  previous: SessionStatus
  /** Why the status changed, e.g. `restart_required`, `logged_out`, `backoff`. */
  reason?: string
  /** Baileys' disconnect code when a close caused the change. */
  code?: number | null
  /** For `reconnecting`: the attempt number and the delay before it. */
  attempt?: number
  delayMs?: number
}

export interface SessionQrEvent {
  /** Raw QR string, to be encoded as-is into a QR image. */
  qr: string
  /** PNG image of the QR as a data URL. */
  dataUrl: string
  /** ISO-8601 time after which WhatsApp rotates this QR. */
  expiresAt: string
  /** 1 for the first QR of a connection, then 2, 3, ... as it rotates. */
  attempt: number
}

export interface SessionPairingCodeEvent {
  /** 8 characters, to be typed on the phone (Linked devices > Link with phone number). */
  code: string
  phoneNumber: string
}

export interface SessionErrorEvent {
  code: WafleetErrorCode
  message: string
  details?: Record<string, unknown>
}

export interface LifecycleEvents {
  'session.created': SessionInfo
  'session.updated': SessionInfo
  'session.deleted': { id: string }
  'session.status': SessionStatusEvent
  'session.qr': SessionQrEvent
  'session.pairing_code': SessionPairingCodeEvent
  'session.error': SessionErrorEvent
  /** Stats changed (debounced). */
  'session.stats': SessionStats
}

export type LifecycleEventName = keyof LifecycleEvents

/** Payload of every event a session emits, by name. */
export type SessionEventMap = WhatsAppEvents & LifecycleEvents
export type SessionEventName = keyof SessionEventMap

export const LIFECYCLE_EVENTS: readonly LifecycleEventName[] = [
  'session.created',
  'session.updated',
  'session.deleted',
  'session.status',
  'session.qr',
  'session.pairing_code',
  'session.error',
  'session.stats',
]

/** Every event name a session can emit (what a webhook may subscribe to). */
export const SESSION_EVENTS: readonly SessionEventName[] = [...LIFECYCLE_EVENTS, ...WHATSAPP_EVENTS]

export function isSessionEventName(name: string): name is SessionEventName {
  return (SESSION_EVENTS as readonly string[]).includes(name)
}

/** What the manager emits for each session event. */
export interface ManagerEnvelope<E extends SessionEventName = SessionEventName> {
  sessionId: string
  tenantId: string | null
  data: SessionEventMap[E]
}

/** Every event of every session, tagged with its name. */
export interface AnyManagerEvent {
  event: SessionEventName
  sessionId: string
  tenantId: string | null
  data: SessionEventMap[SessionEventName]
}

/** eventemitter3 listener maps. */
export type SessionListeners = {
  [E in SessionEventName]: (data: SessionEventMap[E]) => void
}
export type ManagerListeners = {
  [E in SessionEventName]: (event: ManagerEnvelope<E>) => void
} & {
  /** Every session event, with its name; handy for streaming (SSE) and logging. */
  '*': (event: AnyManagerEvent) => void
}
