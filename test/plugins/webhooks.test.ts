import { createHmac } from 'node:crypto'
import { BufferJSON } from '@whiskeysockets/baileys'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryStorage, type StorageAdapter } from '../../src/index.js'
import { verifyWebhookSignature, webhooks, type WebhooksOptions } from '../../src/plugins/webhooks/index.js'
import { managedHarness, pairedSession } from '../helpers/manager.js'
import { receivers } from './helpers/webhooks.js'

const SECRET = 'a-webhook-secret-of-some-length'
const start = managedHarness()
const receiver = receivers()

/** Lets real I/O (the local HTTP round trips) run while fake time stands still. */
async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve))
}

function withWebhooks(options: WebhooksOptions, storage: StorageAdapter = createMemoryStorage()) {
  return start({ storage, plugins: [webhooks(options)] })
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('webhooks: delivery', () => {
  it('posts a signed envelope with the documented headers, and the receiver can verify it', async () => {
    const r = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: r.url, secret: SECRET, headers: { Authorization: 'Bearer abc' } }] })
    const s = await h.manager.create({ name: 'one', tenantId: 'acme' })
    await r.waitFor(1)
    const [request] = r.requests
    const body = JSON.parse(request!.body)
    expect(body).toEqual({
      id: expect.any(String),
      event: 'session.created',
      sessionId: s.id,
      tenantId: 'acme',
      timestamp: expect.any(Number),
      data: expect.objectContaining({ id: s.id, name: 'one' }),
    })
    expect(Object.keys(body)).toEqual(['id', 'event', 'sessionId', 'tenantId', 'timestamp', 'data'])
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-wafleet-event': 'session.created',
      'x-wafleet-delivery': body.id,
      'x-wafleet-timestamp': expect.stringMatching(/^\d+$/),
      'x-wafleet-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
      authorization: 'Bearer abc',
    })
    expect(verifyWebhookSignature({ secret: SECRET, headers: request!.headers, body: request!.body })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'another-secret-entirely', headers: request!.headers, body: request!.body })).toBe(false)
    // The session's info in the payload carries no secrets.
    expect(request!.body).not.toContain(SECRET)
  })

  it('sends the URL’s user and password as Basic auth, unless the endpoint sets its own Authorization, and the query string as given', async () => {
    const r = await receiver()
    const withUser = r.url.replace('http://', 'http://hook%40user:p%3Ass@') + '?token=t1'
    const h = await withWebhooks({
      endpoints: [
        { id: 'url-auth', url: withUser, events: ['session.created'] },
        { id: 'own-auth', url: withUser, events: ['session.created'], headers: { AUTHORIZATION: 'Bearer own' } },
      ],
    })
    await h.manager.create({ name: 'auth' })
    await r.waitFor(2)
    const authorizations = r.requests.map((request) => request.headers.authorization).sort()
    expect(authorizations).toEqual([`Basic ${Buffer.from('hook@user:p:ss').toString('base64')}`, 'Bearer own'])
    expect(r.requests.map((request) => request.url)).toEqual([new URL(r.url).pathname + '?token=t1', new URL(r.url).pathname + '?token=t1'])
  })

  it('serializes bytes as BufferJSON base64 and Long numbers as numbers, deterministically', async () => {
    const r = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: r.url, events: ['messages.upsert'] }] })
    const s = await pairedSession(h, 'bytes')
    const long = { low: 1_700_000_000, high: 0, unsigned: false }
    const huge = { low: 0, high: 0x7fffffff, unsigned: false }
    h.mock.socket(s.id)!.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: { remoteJid: '5511988887777@s.whatsapp.net', fromMe: false, id: 'M1' },
          message: { imageMessage: { mediaKey: Buffer.from([1, 2, 3, 250]), fileSha256: new Uint8Array([9, 8]) } },
          messageTimestamp: long as never,
          messageStubParameters: [huge as never],
        },
      ],
    })
    await r.waitFor(1)
    const body = JSON.parse(r.requests[0]!.body)
    const message = body.data.messages[0]
    expect(message.message.imageMessage.mediaKey).toEqual({ type: 'Buffer', data: Buffer.from([1, 2, 3, 250]).toString('base64') })
    expect(message.messageTimestamp).toBe(1_700_000_000)
    expect(message.messageStubParameters[0]).toBe(((0x7fffffffn << 32n)).toString())
    // Baileys' own reviver gives the bytes back.
    const revived = JSON.parse(r.requests[0]!.body, BufferJSON.reviver)
    expect(Buffer.from(revived.data.messages[0].message.imageMessage.fileSha256)).toEqual(Buffer.from([9, 8]))
  })

  it('has the event in the outbox before the emitting call returns', async () => {
    const storage = createMemoryStorage()
    // A receiver that never answers: the delivery cannot have finished when create() returns.
    const r = await receiver(() => ({ hang: true }))
    const h = await withWebhooks({ endpoints: [{ url: r.url }] }, storage)
    const s = await h.manager.create({ name: 'durable' })
    const items = await storage.outbox!.list({})
    expect(items.map((item) => [item.event, item.status])).toEqual([['session.created', 'pending']])
    expect(JSON.parse(Buffer.from(items[0]!.payload).toString()).sessionId).toBe(s.id)
  })

  it('filters by event name and never subscribes creds.update', async () => {
    const r = await receiver()
    const h = await withWebhooks({ endpoints: [{ url: r.url, events: ['session.updated'] }] })
    const s = await h.manager.create({ name: 'filter' })
    await s.update({ metadata: { n: 1 } })
    await r.waitFor(1)
    await settle()
    expect(r.requests.map((q) => q.headers['x-wafleet-event'])).toEqual(['session.updated'])
    await expect(s.update({ webhooks: [{ url: r.url, events: ['creds.update'] }] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
  })
})

describe('webhooks: configuration is validated', () => {
  const cases: [string, unknown][] = [
    ['ftp url', { url: 'ftp://example.com/hook' }],
    ['not a url', { url: 'not a url' }],
    ['unknown event', { url: 'http://example.com', events: ['messages.upsertt'] }],
    ['empty events', { url: 'http://example.com', events: [] }],
    ['creds.update', { url: 'http://example.com', events: ['creds.update'] }],
    ['creds.update next to *', { url: 'http://example.com', events: ['*', 'creds.update'] }],
    ['an unknown event next to *', { url: 'http://example.com', events: ['*', 'nope'] }],
    ['unknown policy', { url: 'http://example.com', retry: { policy: 'fibonacci' } }],
    ['zero attempts', { url: 'http://example.com', retry: { attempts: 0 } }],
    ['max below base', { url: 'http://example.com', retry: { delayMs: 1000, maxDelayMs: 10 } }],
    ['short secret', { url: 'http://example.com', secret: 'short' }],
    ['reserved header', { url: 'http://example.com', headers: { 'X-Wafleet-Signature': 'x' } }],
    ['header with a line break', { url: 'http://example.com', headers: { 'X-Token': 'a\r\nb' } }],
    ['timeout too long', { url: 'http://example.com', timeoutMs: 10 * 60_000 }],
    ['unknown field', { url: 'http://example.com', hmac: 'x' }],
  ]
  it.each(cases)('refuses %s on create and update, with WEBHOOK_INVALID', async (_name, endpoint) => {
    const h = await withWebhooks({})
    await expect(h.manager.create({ name: 'bad', webhooks: [endpoint as never] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
    const s = await h.manager.create({ name: 'good' })
    await expect(s.update({ webhooks: [endpoint as never] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
    expect(s.webhooks).toEqual([])
  })

  it('accepts * and known names, and refuses a repeated endpoint', async () => {
    const h = await withWebhooks({})
    const s = await h.manager.create({ name: 'ok', webhooks: [{ url: 'http://example.com/a', events: ['*'] }, { url: 'http://example.com/b', events: ['messages.upsert', 'session.status'] }] })
    expect(s.webhooks).toHaveLength(2)
    await expect(s.update({ webhooks: [{ url: 'http://example.com/a' }, { url: 'http://example.com/a' }] })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID' })
  })

  it('refuses bad global endpoints and options when the plugin is made', () => {
    expect(() => webhooks({ endpoints: [{ url: 'gopher://x' }] })).toThrow(expect.objectContaining({ code: 'WEBHOOK_INVALID' }))
    expect(() => webhooks({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => webhooks({ visibilityTimeoutMs: 10_000, timeoutMs: 6_000 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
  })

  it('refuses to start on a storage adapter without the outbox capability', async () => {
    const storage = createMemoryStorage()
    const withoutOutbox = { ...storage, outbox: undefined } as StorageAdapter
    await expect(withWebhooks({}, withoutOutbox)).rejects.toMatchObject({ code: 'PLUGIN_ERROR', message: expect.stringContaining('outbox') })
  })
})

describe('verifyWebhookSignature', () => {
  const body = '{"id":"1","event":"session.status"}'
  const now = 1_800_000_000_000
  const headersAt = (seconds: number, secret = SECRET) => {
    const ts = String(seconds)
    return { 'x-wafleet-timestamp': ts, 'x-wafleet-signature': `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}` }
  }

  it('accepts a fresh, valid signature (Node headers, Headers, bytes, rotated secrets)', () => {
    const headers = headersAt(now / 1000)
    expect(verifyWebhookSignature({ secret: SECRET, headers, body, now })).toBe(true)
    expect(verifyWebhookSignature({ secret: SECRET, headers: new Headers(headers), body: Buffer.from(body), now })).toBe(true)
    expect(verifyWebhookSignature({ secret: ['old-secret-0123456789', SECRET], headers, body, now })).toBe(true)
  })

  it('rejects a bad signature, a changed body, a stale or future timestamp and missing headers', () => {
    const headers = headersAt(now / 1000)
    expect(verifyWebhookSignature({ secret: SECRET, headers: { ...headers, 'x-wafleet-signature': `sha256=${'0'.repeat(64)}` }, body, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, headers: { ...headers, 'x-wafleet-signature': 'sha256=zz' }, body, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, headers, body: body.replace('1', '2'), now })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, headers: headersAt(now / 1000 - 301), body, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, headers: headersAt(now / 1000 - 301), body, now, toleranceSec: 600 })).toBe(true)
    expect(verifyWebhookSignature({ secret: SECRET, headers: headersAt(now / 1000 + 301), body, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, headers: {}, body, now })).toBe(false)
  })

  it('refuses parsed JSON instead of the raw body', () => {
    expect(() => verifyWebhookSignature({ secret: SECRET, headers: {}, body: JSON.parse(body) })).toThrow(/raw body/)
  })
})
