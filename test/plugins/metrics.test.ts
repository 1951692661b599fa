import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { metrics } from '../../src/plugins/metrics/index.js'
import { webhooks } from '../../src/plugins/webhooks/index.js'
import { managedHarness, pairedSession } from '../helpers/manager.js'
import { receivers } from './helpers/webhooks.js'
import { until } from './helpers/until.js'

const start = managedHarness()
const receiver = receivers()

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name)
  if (!metric) throw new Error(`no metric ${name}`)
  const { values } = await metric.get()
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l) && (labels.le !== undefined || v.labels.le === undefined))
  return match?.value
}


describe('metrics plugin', () => {
  it('counts sessions by status, messages, reconnects and webhook deliveries', async () => {
    const ok = await receiver()
    const refusing = await receiver(() => ({ status: 400 }))
    const registry = new Registry()
    const h = await start({
      plugins: [
        // Before the webhooks plugin on purpose: the order does not matter.
        metrics({ registry, prefix: 'test_' }),
        webhooks({ endpoints: [{ url: ok.url, events: ['messages.upsert'] }, { url: refusing.url, events: ['session.created'] }] }),
      ],
    })
    const s = await pairedSession(h, 'measured')
    await h.manager.create({ name: 'idle' })
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'one' })
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'two' })
    await s.sendText('5511988887777', 'hello')
    await s.sendText('5511988887777', 'again')

    expect(await value(registry, 'test_messages_sent_total')).toBe(2)
    // Received events are handled in order but asynchronously (plugin listeners are awaited).
    await until(async () => (await value(registry, 'test_messages_received_total')) === 2, 'the metric')
    expect(await value(registry, 'test_sessions', { status: 'connected' })).toBe(1)
    expect(await value(registry, 'test_sessions', { status: 'stopped' })).toBe(1)

    h.mock.disconnect(s.id, 428)
    await until(async () => (await value(registry, 'test_reconnects_total', { reason: 'connection_closed' })) === 1, 'the metric')

    await until(async () => (await value(registry, 'test_webhook_deliveries_total', { result: 'dead' })) === 2, 'the metric')
    await until(async () => (await value(registry, 'test_webhook_deliveries_total', { result: 'delivered' })) === 4, 'the metric')
    const text = await h.manager.metrics.metrics()
    expect(text).toContain('test_webhook_delivery_latency_seconds_count 4')
    expect(text).toContain('test_webhook_attempt_duration_seconds_count{result="dead"} 2')
    expect(text).toContain('test_webhook_deliveries_total{result="delivered"} 4')
    expect(h.manager.metrics.contentType).toContain('text/plain')
  })

  it('counts failed sends by code and removes its metrics from a shared registry on stop', async () => {
    const registry = new Registry()
    const h = await start({ plugins: [metrics({ registry })] })
    const s = await pairedSession(h, 'failing')
    h.mock.socket(s.id)!.sendMessage = async () => {
      throw new Error('boom')
    }
    await expect(s.sendText('5511988887777', 'x')).rejects.toMatchObject({ code: 'SEND_FAILED' })
    expect(await value(registry, 'wafleet_messages_send_failed_total', { code: 'SEND_FAILED' })).toBe(1)
    await h.manager.stop()
    expect(registry.getMetricsAsArray()).toHaveLength(0)
    // The same registry can serve the next manager.
    await start({ plugins: [metrics({ registry })] })
    expect(registry.getSingleMetric('wafleet_messages_sent_total')).toBeDefined()
  })

  it('refuses a bad prefix', () => {
    expect(() => metrics({ prefix: 'bad-prefix' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })
})
