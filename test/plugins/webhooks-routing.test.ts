import type { LookupFunction } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../src/index.js'
import { webhooks, type WebhooksOptions } from '../../src/plugins/webhooks/index.js'
import { managedHarness, pairedSession } from '../helpers/manager.js'
import { deliveryOutcomes, receivers } from './helpers/webhooks.js'
import { until } from './helpers/until.js'

const start = managedHarness()
const receiver = receivers()
const outcomes = deliveryOutcomes()

const withWebhooks = (options: WebhooksOptions) => start({ storage: createMemoryStorage(), plugins: [webhooks(options)] })
const events = (r: { requests: { headers: Record<string, unknown> }[] }) => r.requests.map((q) => q.headers['x-wafleet-event'])
const bodies = (r: { requests: { body: string }[] }) => r.requests.map((q) => JSON.parse(q.body) as { event: string; sessionId: string; data: any })

describe('webhooks: per-session endpoints', () => {
  it('follow session.update({ webhooks }) from the next event on, without a restart', async () => {
    const a = await receiver()
    const b = await receiver()
    const h = await withWebhooks({})
    const s = await h.manager.create({ name: 'runtime', webhooks: [{ url: a.url, events: ['session.updated'] }] })
    await s.update({ metadata: { step: 1 } })
    await a.waitFor(1)
    await s.update({ webhooks: [{ url: b.url, events: ['session.updated'] }] })
    await s.update({ metadata: { step: 2 } })
    await b.waitFor(2)
    // The update that switched endpoints already goes to the new one.
    expect(bodies(b).map((x) => x.data.metadata.step ?? null)).toEqual([1, 2])
    expect(bodies(a).map((x) => x.data.metadata.step)).toEqual([1])
    // Secrets and header values never appear in the payload (session info is redacted).
    await s.update({ webhooks: [{ url: b.url, events: ['session.updated'], secret: 'super-secret-value-123', headers: { 'X-Token': 'tok-value' } }] })
    await b.waitFor(3)
    expect(b.requests[2]!.body).not.toMatch(/super-secret-value-123|tok-value/)
  })

  it('several endpoints per session, plus global ones, each with its own filter', async () => {
    const global = await receiver()
    const one = await receiver()
    const two = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: global.url, events: ['session.status'] }] })
    const s = await pairedSession(h, 'many')
    await s.update({ webhooks: [{ url: one.url, events: ['messages.upsert'] }, { url: two.url, events: ['*'] }] })
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'hi' })
    await one.waitFor(1)
    await s.disconnect()
    const stopped = (r: typeof global) => bodies(r).some((x) => x.event === 'session.status' && x.data.status === 'stopped')
    await until(() => stopped(global) && stopped(two), 'the stop to reach both')
    expect(events(one)).toEqual(['messages.upsert'])
    expect(new Set(events(two))).toEqual(new Set(['session.updated', 'messages.upsert', 'connection.update', 'session.status', 'session.stats']))
    expect(new Set(events(global))).toEqual(new Set(['session.status']))
    expect(bodies(global).map((x) => x.data.status).sort()).toEqual(['connected', 'qr', 'starting', 'starting', 'stopped'].sort())
  })

  it('dead-letters pending deliveries of an endpoint that was removed, saying so', async () => {
    const a = await receiver(() => ({ hang: true }))
    const h = await withWebhooks({ timeoutMs: 200 })
    const s = await h.manager.create({ name: 'removed', webhooks: [{ url: a.url, events: ['session.updated'], retry: { policy: 'constant', delayMs: 50, attempts: 3 } }] })
    await s.update({ metadata: { x: 1 } })
    await outcomes.waitFor(1)
    await s.update({ webhooks: [] })
    await outcomes.waitFor(2)
    const [dead] = await h.manager.webhooks.deliveries({ sessionId: s.id, status: 'dead' })
    expect(dead).toMatchObject({ scope: 'session', lastError: expect.stringContaining('no longer configured') })
  })
})

describe('webhooks: session.deleted and global endpoints', () => {
  it('delivers session.deleted and the events before it to global endpoints after the row (and its cascade) is gone', async () => {
    const gate = { open: false }
    const global = await receiver(() => (gate.open ? {} : { status: 503 }))
    const h = await withWebhooks({ endpoints: [{ url: global.url, retry: { policy: 'constant', delayMs: 100, attempts: 50 } }], pollIntervalMs: 50 })
    const s = await h.manager.create({ name: 'doomed' })
    await s.update({ metadata: { last: true } })
    await h.manager.delete(s.id)
    gate.open = true
    await until(async () => (await h.manager.webhooks.deliveries({ sessionId: s.id, status: 'delivered' })).length === 3, 'three deliveries')
    const delivered = await h.manager.webhooks.deliveries({ sessionId: s.id, status: 'delivered' })
    expect(delivered.map((d) => d.event)).toEqual(['session.created', 'session.updated', 'session.deleted'])
    expect(delivered.every((d) => d.sessionId === s.id && d.scope === 'global')).toBe(true)
    const deleted = bodies(global).find((x) => x.event === 'session.deleted')!
    expect(deleted).toMatchObject({ sessionId: s.id, data: { id: s.id } })
  })
})

describe('webhooks: isolation', () => {
  it('a slow endpoint holds up neither other endpoints nor the session event flow', async () => {
    const slow = await receiver(() => ({ hang: true }))
    const fast = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: slow.url, concurrency: 2, events: ['messages.upsert'] }, { url: fast.url, events: ['messages.upsert'] }] })
    const s = await pairedSession(h, 'isolated')
    const received: string[] = []
    h.manager.on('messages.upsert', ({ data }) => received.push(data.messages[0]!.key.id!))
    const started = performance.now()
    for (let i = 0; i < 50; i++) h.mock.receiveText(s.id, { from: '5511988887777', text: `m${i}`, id: `ID${i}` })
    await fast.waitFor(50)
    expect(received).toHaveLength(50)
    // The slow receiver holds exactly its concurrency and nothing more is sent to it meanwhile.
    expect(slow.requests).toHaveLength(2)
    expect(performance.now() - started).toBeLessThan(5_000) // far below any timeout: nothing waited on the slow one
    slow.release()
    await slow.waitFor(4)
  })
})

describe('webhooks: a full worker', () => {
  it('gives back a slow endpoint\'s waiting deliveries so that other endpoints behind them are reached', async () => {
    const slow = await receiver(() => ({ hang: true }))
    const fast = await receiver()
    // Room for 10 deliveries in this process: the slow endpoint's backlog fills it first.
    const h = await withWebhooks({
      maxInFlight: 10,
      batchSize: 5,
      visibilityTimeoutMs: 60_000,
      pollIntervalMs: 100,
      endpoints: [
        { id: 'slow', url: slow.url, concurrency: 2, timeoutMs: 500, events: ['session.updated'] },
        { id: 'fast', url: fast.url, events: ['session.status'] },
      ],
    })
    const s = await h.manager.create({ name: 'crowded' })
    for (let i = 0; i < 30; i++) await s.update({ metadata: { i } })
    // These rows sit behind the 30 slow ones in the outbox.
    await s.connect()
    await fast.waitFor(1)
    // Nothing of the slow endpoint was lost or burnt: all 30 are still pending, and most were
    // never attempted (given back untouched, they wait for the visibility timeout).
    const pending = (await h.manager.webhooks.deliveries({ status: 'pending', limit: 1000 })).filter((d) => d.endpointId === 'slow')
    expect(pending).toHaveLength(30)
    expect(pending.filter((d) => d.attempts === 0).length).toBeGreaterThanOrEqual(20)
    await s.disconnect()
  })

  it('acks one by one on an outbox without ackMany', async () => {
    const storage = createMemoryStorage()
    const outbox = { ...storage.outbox!, ackMany: undefined }
    const r = await receiver()
    const h = await start({ storage: { ...storage, outbox }, plugins: [webhooks({ endpoints: [{ url: r.url }] })] })
    await h.manager.create({ name: 'plain' })
    await until(async () => (await h.manager.webhooks.deliveries({ status: 'delivered' })).length === 1, 'the ack')
  })
})

describe('webhooks: blockPrivateNetworks', () => {
  it('refuses loopback and private endpoints on create, update and at setup', async () => {
    const h = await withWebhooks({ blockPrivateNetworks: true })
    for (const url of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://10.1.2.3/x', 'http://[::1]:9/x', 'http://[::ffff:192.168.0.1]/x', 'http://169.254.169.254/latest']) {
      await expect(h.manager.create({ name: 'private', webhooks: [{ url }] }), url).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
    }
    const s = await h.manager.create({ name: 'public', webhooks: [{ url: 'http://93.184.216.34/hook' }] })
    await expect(s.update({ webhooks: [{ url: 'http://192.168.1.1/hook' }] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
    await expect(withWebhooks({ blockPrivateNetworks: true, endpoints: [{ url: 'http://127.0.0.1:1/x' }] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
  })

  it('checks the address again at delivery time (DNS rebinding) and sends nothing to a private one', async () => {
    const r = await receiver()
    const url = `http://rebind.test:${r.port}/hook`
    let answers = 0
    // First answer (validation): a public address. Every later one (the connection): loopback.
    const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      const address = answers++ === 0 ? '93.184.216.34' : '127.0.0.1'
      if (options.all) callback(null, [{ address, family: 4 }])
      else callback(null, address, 4)
    }) as unknown as LookupFunction
    const h = await withWebhooks({ blockPrivateNetworks: true, lookup })
    const s = await h.manager.create({ name: 'rebind', webhooks: [{ url, events: ['session.updated'] }] })
    await s.update({ metadata: { a: 1 } })
    await outcomes.waitFor(1)
    expect(r.requests).toHaveLength(0)
    expect(outcomes.list[0]).toMatchObject({ result: 'dead' })
    const [dead] = await h.manager.webhooks.deliveries({ status: 'dead' })
    expect(dead!.lastError).toMatch(/127\.0\.0\.1.*private/)
  })

  it('is off by default: a local receiver works', async () => {
    const r = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: r.url }] })
    await h.manager.create({ name: 'local' })
    await r.waitFor(1)
  })
})
