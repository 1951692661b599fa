import { PluginError, ValidationError, WafleetError } from '../../errors.js'
import type { AnyManagerEvent } from '../../events.js'
import { storageCapabilities, type NewOutboxItem, type OutboxItem } from '../../storage/types.js'
import { uuidv7 } from '../../util/ids.js'
import { webhookDeliveryChannel, type WebhookDeliveryMessage } from '../diagnostics.js'
import type { Plugin, PluginContext } from '../types.js'
import { createWebhooksApi } from './api.js'
import { resolveEndpoints, type ResolvedEndpoint } from './endpoint.js'
import { BatchWriter } from './batch.js'
import { attempt, ConnectionPools } from './http.js'
import { assertPublicHost, guardedLookup } from '../../util/network.js'
import { resolveWebhooksOptions, type ResolvedWebhooksOptions, type WebhooksOptions } from './options.js'
import { buildBody, serializeData } from './payload.js'
import { decodeTarget, encodeTarget, EndpointRegistry } from './registry.js'
import { signWebhook } from './signature.js'
import { DeliveryWorker, type DeliveryOutcome, type Route } from './worker.js'

/** Items per outbox write; larger bursts are split. */
const MAX_ENQUEUE_BATCH = 500
const PURGE_EVERY_MS = 3_600_000

/** One event's rows, written claimed by the worker they were handed to; `inserted`: the ids the write inserted. */
interface Fresh {
  items: NewOutboxItem[]
  inserted: ReadonlySet<string>
}
const NONE: ReadonlySet<string> = new Set()

async function assertPublic(endpoints: readonly ResolvedEndpoint[], field: string, settings: ResolvedWebhooksOptions): Promise<void> {
  await Promise.all(
    endpoints.map(async (endpoint, index) => {
      try {
        await assertPublicHost(endpoint.url.hostname, settings.lookup)
      } catch (error) {
        throw new ValidationError('WEBHOOK_INVALID', `${field}[${index}].url: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          details: { field: `${field}[${index}].url` },
        })
      }
    }),
  )
}

/**
 * Delivers session events to HTTP endpoints through the storage adapter's durable outbox:
 * signed, retried with a policy, dead-lettered after the last attempt, at least once.
 * See docs/plugins.md#webhooks.
 */
export function webhooks(options: WebhooksOptions = {}): Plugin {
  const settings = resolveWebhooksOptions(options)
  return {
    name: 'webhooks',
    async setup(ctx: PluginContext) {
      if (!storageCapabilities(ctx.storage).outbox) {
        throw new PluginError(
          'PLUGIN_ERROR',
          `webhooks need a storage adapter with the outbox capability, and "${ctx.storage.kind}" has none: deliveries would be lost on exit. ` +
            'Use the memory, SQLite or Postgres adapter, or implement `outbox` (runStorageConformance checks it).',
        )
      }
      const outbox = ctx.storage.outbox!
      if (settings.blockPrivateNetworks) await assertPublic(settings.globals, 'endpoints', settings)
      const registry = new EndpointRegistry(settings.globals, ctx.manager, settings.defaults, ctx.logger)
      const lookup = settings.blockPrivateNetworks ? guardedLookup(settings.lookup) : settings.lookup
      const pools = new ConnectionPools(lookup)

      const route = (item: OutboxItem): Route | null => {
        const target = decodeTarget(item.target, item.sessionId)
        if (!target) return null
        const endpoint = registry.lookup(target)
        if (!endpoint) return { error: `endpoint ${target.endpointId} is no longer configured` }
        return { endpoint, lane: target.scope === 'global' ? `g:${endpoint.id}` : `s:${target.sessionId}:${endpoint.id}` }
      }

      const send = (item: OutboxItem, endpoint: ResolvedEndpoint, lane: string) => {
        const body = item.payload
        const timestamp = Math.floor(Date.now() / 1000)
        const headers: Record<string, string> = {
          ...endpoint.headers,
          'content-type': 'application/json',
          'user-agent': settings.userAgent,
          'x-wafleet-event': item.event,
          'x-wafleet-delivery': item.id,
          'x-wafleet-timestamp': String(timestamp),
          ...(endpoint.secret ? { 'x-wafleet-signature': signWebhook(endpoint.secret, timestamp, body) } : {}),
        }
        return attempt({ url: endpoint.url, headers, body, timeoutMs: endpoint.timeoutMs }, pools.get(lane, endpoint.url, endpoint.concurrency), settings.blockPrivateNetworks)
      }

      const observe = (outcome: DeliveryOutcome) => {
        if (!webhookDeliveryChannel.hasSubscribers) return
        const target = decodeTarget(outcome.item.target, outcome.item.sessionId)
        const message: WebhookDeliveryMessage = {
          manager: ctx.manager,
          deliveryId: outcome.item.id,
          sessionId: target?.sessionId ?? outcome.item.sessionId,
          endpointId: target?.endpointId ?? '',
          scope: target?.scope ?? 'global',
          event: outcome.item.event,
          result: outcome.result,
          attempt: outcome.attempt,
          status: outcome.status,
          durationMs: outcome.durationMs,
          latencyMs: Math.max(0, outcome.endedAt - outcome.item.createdAt),
          ...(outcome.nextAttemptAt === undefined ? {} : { nextAttemptAt: outcome.nextAttemptAt }),
        }
        webhookDeliveryChannel.publish(message)
      }

      const worker = new DeliveryWorker({
        outbox,
        logger: ctx.logger,
        options: {
          batchSize: settings.batchSize,
          visibilityMs: settings.visibilityTimeoutMs,
          pollIntervalMs: settings.pollIntervalMs,
          maxBuffered: settings.maxInFlight,
        },
        route,
        send,
        observe,
      })
      // Fresh events go straight to the worker, claimed in the insert that stores them, when it has
      // room and nothing older is due (nor being enqueued: a fresh event never overtakes one stored
      // before it); otherwise they are enqueued and the worker is kicked.
      const storeClaimed = async (groups: Fresh[]): Promise<void> => {
        const inserted = new Set(await outbox.enqueueClaimed!(groups.flatMap((group) => group.items), worker.workerId, settings.visibilityTimeoutMs))
        for (const group of groups) group.inserted = inserted
      }
      const claimedWriter = new BatchWriter<Fresh>({
        writeMany: storeClaimed,
        writeOne: (group) => storeClaimed([group]),
        size: (group) => group.items.length,
        maxBatch: MAX_ENQUEUE_BATCH,
      })
      const enqueuer = new BatchWriter<NewOutboxItem[]>({
        writeMany: (groups) => outbox.enqueue(groups.flat()),
        writeOne: (items) => outbox.enqueue(items),
        size: (items) => items.length,
        maxBatch: MAX_ENQUEUE_BATCH,
      })
      let enqueuing = 0
      const store = async (items: NewOutboxItem[]): Promise<void> => {
        if (outbox.enqueueClaimed && enqueuing === 0 && worker.canTake(items.length)) {
          const fresh: Fresh = { items, inserted: NONE }
          const written = claimedWriter.write(fresh)
          const now = Date.now()
          const claimed = items.map((item): OutboxItem => ({ ...item, status: 'pending', attempts: 0, lastError: null, availableAt: now, createdAt: now, updatedAt: now }))
          worker.handOff(
            claimed,
            written.then(
              () => fresh.inserted,
              () => NONE,
            ),
          )
          return written
        }
        enqueuing++
        try {
          await enqueuer.write(items)
        } finally {
          enqueuing--
          worker.kick()
        }
      }

      ctx.validateSession(async (input) => {
        if (input.webhooks === undefined) return
        const endpoints = resolveEndpoints(input.webhooks, 'webhooks', settings.defaults)
        if (settings.blockPrivateNetworks) await assertPublic(endpoints, 'webhooks', settings)
      })

      ctx.onAny(async (event: AnyManagerEvent) => {
        const deleted = event.event === 'session.deleted'
        if (deleted || event.event === 'session.updated' || event.event === 'session.created') registry.forget(event.sessionId)
        const targets = registry.targets(event.event, event.sessionId, !deleted)
        if (!targets.length) return
        const dataJson = serializeData(event.data)
        const timestamp = Date.now()
        const items: NewOutboxItem[] = targets.map(({ target }) => {
          // Time-ordered: the delivery log merges lists by (createdAt, id), and receivers can sort by id.
          const id = uuidv7()
          const body = buildBody({ id, event: event.event, sessionId: event.sessionId, tenantId: event.tenantId, timestamp }, dataJson)
          return {
            id,
            sessionId: target.scope === 'global' ? null : event.sessionId,
            target: encodeTarget(target),
            event: event.event,
            payload: Buffer.from(body),
          }
        })
        try {
          await store(items)
        } catch (error) {
          throw error instanceof WafleetError
            ? error
            : new PluginError('WEBHOOK_DELIVERY_FAILED', `webhooks: ${event.event} could not be stored in the outbox`, { cause: error })
        }
      })

      ctx.expose('webhooks', createWebhooksApi(outbox, registry, () => worker.kick()))
      worker.start()
      const purge = setInterval(() => {
        outbox.purge(Date.now() - settings.retainDeliveredMs).catch((error: unknown) => ctx.logger.warn({ err: error }, 'webhook outbox purge failed'))
      }, Math.min(PURGE_EVERY_MS, Math.max(1_000, settings.retainDeliveredMs)))
      purge.unref()

      return async () => {
        clearInterval(purge)
        await Promise.all([claimedWriter.idle(), enqueuer.idle()])
        await worker.stop()
        await pools.close()
      }
    },
  }
}
