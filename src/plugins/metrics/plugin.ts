import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { Registry } from 'prom-client'
import { ValidationError, isWafleetError } from '../../errors.js'
import { SESSION_STATUSES } from '../../storage/types.js'
import { WEBHOOK_DELIVERY_CHANNEL, type WebhookDeliveryMessage } from '../diagnostics.js'
import { loadPeer } from '../optional-peer.js'
import type { Plugin } from '../types.js'

export interface MetricsOptions {
  /** Where the metrics are registered, e.g. prom-client's global `register`. @default a new Registry */
  registry?: Registry
  /** Put before every metric name. @default 'wafleet_' */
  prefix?: string
  /** Buckets (seconds) of the webhook latency and attempt duration histograms. @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] */
  buckets?: number[]
}

/** Published on the manager as `manager.metrics`. */
export interface MetricsApi {
  readonly registry: Registry
  /** The Prometheus text exposition of the registry. */
  metrics(): Promise<string>
  /** The `Content-Type` to serve `metrics()` with. */
  readonly contentType: string
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

/**
 * Prometheus metrics with prom-client: sessions by status, messages sent and received, webhook
 * deliveries by result with their latency, reconnects by reason. Webhook figures arrive on the
 * `wafleet:webhooks:delivery` diagnostics channel, so this plugin works with or without the
 * webhooks plugin and in any order. See docs/plugins.md#metrics for the names.
 */
export function metrics(options: MetricsOptions = {}): Plugin {
  const settings = { prefix: 'wafleet_', buckets: DEFAULT_BUCKETS, ...options }
  if (typeof settings.prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(settings.prefix)) {
    throw new ValidationError('INVALID_CONFIG', 'metrics: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*', { details: { field: 'prefix' } })
  }
  if (!Array.isArray(settings.buckets) || !settings.buckets.length || settings.buckets.some((b) => typeof b !== 'number' || !(b > 0))) {
    throw new ValidationError('INVALID_CONFIG', 'metrics: buckets must be positive numbers', { details: { field: 'buckets' } })
  }
  return {
    name: 'metrics',
    async setup(ctx) {
      const prom = await loadPeer('metrics', 'prom-client', () => import('prom-client'))
      const registry = settings.registry ?? new prom.Registry()
      const name = (suffix: string) => `${settings.prefix}${suffix}`
      const registers = [registry]
      const { manager } = ctx

      const sessions = new prom.Gauge({
        name: name('sessions'),
        help: 'Sessions by status',
        labelNames: ['status'],
        registers,
        async collect() {
          const { sessions: report } = await manager.health()
          for (const status of SESSION_STATUSES) this.set({ status }, report.byStatus[status])
        },
      })
      const sent = new prom.Counter({ name: name('messages_sent_total'), help: 'Messages sent', registers })
      const sendFailed = new prom.Counter({ name: name('messages_send_failed_total'), help: 'Sends that failed, by error code', labelNames: ['code'], registers })
      const received = new prom.Counter({ name: name('messages_received_total'), help: 'Messages received from others (messages.upsert, notify)', registers })
      const reconnects = new prom.Counter({ name: name('reconnects_total'), help: 'Reconnect attempts, by disconnect reason', labelNames: ['reason'], registers })
      const deliveries = new prom.Counter({
        name: name('webhook_deliveries_total'),
        help: 'Webhook delivery attempts, by result (delivered, retry, dead)',
        labelNames: ['result'],
        registers,
      })
      const latency = new prom.Histogram({
        name: name('webhook_delivery_latency_seconds'),
        help: 'From an event entering the webhook outbox to its delivery',
        buckets: settings.buckets,
        registers,
      })
      const attempts = new prom.Histogram({
        name: name('webhook_attempt_duration_seconds'),
        help: 'Duration of one webhook delivery attempt, by result',
        labelNames: ['result'],
        buckets: settings.buckets,
        registers,
      })
      const owned = [sessions, sent, sendFailed, received, reconnects, deliveries, latency, attempts]

      ctx.wrapSend(async (request, next) => {
        try {
          const message = await next()
          sent.inc()
          return message
        } catch (error) {
          sendFailed.inc({ code: isWafleetError(error) ? error.code : 'UNKNOWN' })
          throw error
        }
      })
      ctx.on('messages.upsert', ({ data }) => {
        if (data.type !== 'notify') return
        const count = data.messages.filter((message) => !message.key.fromMe).length
        if (count) received.inc(count)
      })
      ctx.on('session.status', ({ data }) => {
        if (data.status === 'reconnecting') reconnects.inc({ reason: data.reason ?? 'unknown' })
      })
      const onDelivery = (raw: unknown) => {
        const message = raw as WebhookDeliveryMessage
        if (message.manager !== manager) return
        deliveries.inc({ result: message.result })
        attempts.observe({ result: message.result }, message.durationMs / 1000)
        if (message.result === 'delivered') latency.observe(message.latencyMs / 1000)
      }
      subscribe(WEBHOOK_DELIVERY_CHANNEL, onDelivery)

      const api: MetricsApi = { registry, metrics: () => registry.metrics(), contentType: registry.contentType }
      ctx.expose('metrics', api)

      return () => {
        unsubscribe(WEBHOOK_DELIVERY_CHANNEL, onDelivery)
        // A registry the user passed outlives this manager: leave it as it was found.
        for (const metric of owned) registry.removeSingleMetric((metric as unknown as { name: string }).name)
      }
    },
  }
}
