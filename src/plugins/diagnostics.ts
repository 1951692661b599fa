import { channel } from 'node:diagnostics_channel'
import type { SessionManager } from '../manager/session-manager.js'

/**
 * How plugins report what they do to whoever watches (the metrics plugin, tracing, tests) without
 * importing each other: Node's `diagnostics_channel`. Publishing costs nothing when nobody
 * subscribes. Messages carry their `manager`, so a subscriber can keep to its own.
 */
export const WEBHOOK_DELIVERY_CHANNEL = 'wafleet:webhooks:delivery'

/** One finished delivery attempt. Secret-free: no URL, no headers, no body. */
export interface WebhookDeliveryMessage {
  manager: SessionManager
  deliveryId: string
  /** The session the event came from. */
  sessionId: string | null
  endpointId: string
  scope: 'global' | 'session'
  event: string
  /** `delivered`; `retry` (failed, another attempt is scheduled); `dead` (failed for good). */
  result: 'delivered' | 'retry' | 'dead'
  /** 1-based. */
  attempt: number
  /** HTTP status when a response came. */
  status: number | undefined
  /** How long this attempt took. */
  durationMs: number
  /** From the event entering the outbox to the end of this attempt (the receiver's answer, or the failure). */
  latencyMs: number
  /** With `retry`: when the next attempt is due (ms since the epoch). */
  nextAttemptAt?: number
}

export const webhookDeliveryChannel = channel(WEBHOOK_DELIVERY_CHANNEL)
