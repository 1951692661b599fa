import { ValidationError } from '../../errors.js'
import type { OutboxItem, OutboxRepository, OutboxStatus } from '../../storage/types.js'
import { decodeTarget, encodeTarget, isWebhookTarget, type EndpointRegistry, type Scope } from './registry.js'

/** One delivery (an event for one endpoint) as `manager.webhooks.deliveries()` shows it. */
export interface WebhookDelivery {
  /** Also the body's `id` and the `X-Wafleet-Delivery` header. */
  id: string
  event: string
  sessionId: string | null
  endpointId: string
  scope: Scope
  /** `pending` (waiting or being attempted), `delivered`, or `dead` (every attempt failed; see `lastError`). */
  status: OutboxStatus
  attempts: number
  lastError: string | null
  /** When a pending delivery is attempted next. */
  nextAttemptAt: Date | null
  createdAt: Date
  updatedAt: Date
  /** The JSON body, when asked for with `includeBody`. */
  body?: string
}

export interface WebhookDeliveryQuery {
  /** Deliveries of this session's events, to its own endpoints and to global ones. */
  sessionId?: string
  status?: OutboxStatus
  /** @default 100 (at most 1000) */
  limit?: number
  /** @default false */
  includeBody?: boolean
}

/** Published on the manager as `manager.webhooks`. */
export interface WebhooksApi {
  /** Deliveries, oldest first. */
  deliveries(query?: WebhookDeliveryQuery): Promise<WebhookDelivery[]>
  /** Sends dead deliveries again, from attempt 1 (same ids). Returns how many were dead and moved back. */
  redrive(ids: readonly string[]): Promise<number>
}

const STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'dead']
const invalid = (field: string, message: string) => new ValidationError('VALIDATION_ERROR', `${field} ${message}`, { details: { field } })

function toDelivery(item: OutboxItem, includeBody: boolean): WebhookDelivery | null {
  const target = decodeTarget(item.target, item.sessionId)
  if (!target) return null
  return {
    id: item.id,
    event: item.event,
    sessionId: target.sessionId,
    endpointId: target.endpointId,
    scope: target.scope,
    status: item.status,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.status === 'pending' ? new Date(item.availableAt) : null,
    createdAt: new Date(item.createdAt),
    updatedAt: new Date(item.updatedAt),
    ...(includeBody ? { body: Buffer.from(item.payload).toString('utf8') } : {}),
  }
}

export function createWebhooksApi(outbox: OutboxRepository, registry: EndpointRegistry, redriven: () => void): WebhooksApi {
  return {
    async deliveries(query = {}) {
      const { sessionId, status, limit = 100, includeBody = false } = query
      if (status !== undefined && !STATUSES.includes(status)) throw invalid('status', `must be one of ${STATUSES.join(', ')}`)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit', 'must be an integer from 1 to 1000')
      if (sessionId !== undefined && typeof sessionId !== 'string') throw invalid('sessionId', 'must be a string')
      const filter = { ...(status ? { status } : {}), limit }
      let items: OutboxItem[]
      if (sessionId === undefined) {
        items = (await outbox.list(filter)).filter((item) => isWebhookTarget(item.target))
      } else {
        const lists = await Promise.all([
          outbox.list({ ...filter, sessionId }),
          ...[...registry.globals.keys()].map((endpointId) =>
            outbox.list({ ...filter, target: encodeTarget({ scope: 'global', endpointId, sessionId }) }),
          ),
        ])
        items = lists.flat().sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      }
      return items.flatMap((item) => toDelivery(item, includeBody) ?? []).slice(0, limit)
    },
    async redrive(ids) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw invalid('ids', 'must be an array of delivery ids')
      const moved = ids.length ? await outbox.redrive(ids) : 0
      if (moved) redriven()
      return moved
    },
  }
}
