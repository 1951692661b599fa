import { describe, expect, it } from 'vitest'
import { SESSION_EVENTS, type AnyManagerEvent, type Plugin } from '../../src/index.js'
import { eventually, managedHarness, pairedSession } from '../helpers/manager.js'

const harness = managedHarness()
const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms))

describe('events', () => {
  it('the manager tags every event with sessionId and tenantId; the session emits the bare data', async () => {
    const h = await harness()
    const all: AnyManagerEvent[] = []
    h.manager.on('*', (e) => all.push(e))
    const upserts: unknown[] = []
    h.manager.on('messages.upsert', (e) => upserts.push(e))
    const s = await h.manager.create({ name: 'tagged', tenantId: 'acme' })
    const sessionUpserts: unknown[] = []
    s.on('messages.upsert', (data) => sessionUpserts.push(data))
    await s.connect()
    await s.waitFor('qr')
    h.mock.scan(s.id)
    await s.waitFor('connected')
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'hi' })
    await eventually(() => expect(sessionUpserts).toHaveLength(1))
    const names = all.map((e) => e.event)
    expect(names).toEqual(expect.arrayContaining(['session.created', 'session.status', 'session.qr', 'connection.update', 'messages.upsert']))
    expect(all.every((e) => e.sessionId === s.id && e.tenantId === 'acme')).toBe(true)
    expect(upserts).toEqual([{ sessionId: s.id, tenantId: 'acme', data: { messages: [expect.anything()], type: 'notify' } }])
    expect(sessionUpserts).toEqual([{ messages: [expect.anything()], type: 'notify' }])
    expect(all.every((e) => SESSION_EVENTS.includes(e.event))).toBe(true)
  })

  it("hands a session's WhatsApp events to plugins while earlier ones are still being stored; listeners get them after, in order", async () => {
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const seenByPlugin: string[] = []
    const slowFirst: Plugin = {
      name: 'slow-first',
      setup: (ctx) => {
        ctx.onAny(async (event) => {
          if (event.event !== 'messages.upsert') return
          const text = (event.data as { messages: { message: { conversation: string } }[] }).messages[0]!.message.conversation
          seenByPlugin.push(text)
          // The first event's store is slow; the ones after it are quick.
          if (text === 'm0') await gate
        })
      },
    }
    const h = await harness({ plugins: [slowFirst] })
    const s = await pairedSession(h, 'pipelined')
    const seenByListener: string[] = []
    s.on('messages.upsert', (data) => seenByListener.push(data.messages[0]!.message!.conversation!))
    for (let i = 0; i < 300; i++) h.mock.receiveText(s.id, { from: '5511988887777', text: `m${i}` })
    // Batches after the first go on while it waits, up to the bound of 256 events in flight.
    await eventually(() => expect(seenByPlugin).toHaveLength(256))
    await tick(50)
    expect(seenByPlugin).toHaveLength(256)
    expect(seenByListener).toEqual([])
    open()
    await eventually(() => expect(seenByListener).toHaveLength(300))
    expect(seenByListener).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`))
    expect(seenByPlugin).toEqual(seenByListener)
  })

  it('credentials never travel in an event', async () => {
    const h = await harness()
    const all: AnyManagerEvent[] = []
    h.manager.on('*', (e) => all.push(e))
    const s = await pairedSession(h, 'secret-free')
    await s.requestPairingCode('5511999990001').catch(() => undefined)
    const creds = h.mock.socket(s.id)!.options.config.auth.creds
    expect(all.some((e) => (e.event as string) === 'creds.update')).toBe(false)
    const serialized = JSON.stringify(all)
    for (const secret of [creds.noiseKey.private, creds.signedIdentityKey.private, creds.signedPreKey.keyPair.private]) {
      expect(serialized).not.toContain(Buffer.from(secret).toString('base64'))
      expect(serialized).not.toContain(JSON.stringify(Buffer.from(secret)))
    }
    const connection = all.find((e) => e.event === 'connection.update' && (e.data as { lastDisconnect?: unknown }).lastDisconnect)
    expect(connection?.data).toMatchObject({ connection: 'close', lastDisconnect: { code: 515, reason: 'restart_required' } })
  })

  it('a throwing or rejecting listener never breaks a session', async () => {
    const h = await harness()
    h.manager.on('session.status', () => {
      throw new Error('listener bug')
    })
    h.manager.on('messages.upsert', async () => {
      throw new Error('async listener bug')
    })
    const s = await h.manager.create({ name: 'robust' })
    s.on('session.qr', () => {
      throw new Error('qr listener bug')
    })
    const later: string[] = []
    s.on('session.status', ({ status }) => later.push(status))
    await s.connect()
    await s.waitFor('qr')
    h.mock.scan(s.id)
    await s.waitFor('connected')
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'still fine' })
    await s.sendText('5511988887777', 'works')
    await eventually(() => expect(s.stats.messagesReceived).toBe(1))
    expect(later).toEqual(['starting', 'qr', 'starting', 'connected'])
  })

  it('once-listeners fire once', async () => {
    const h = await harness()
    let count = 0
    h.manager.once('session.created', () => count++)
    await h.manager.create({ name: 'one' })
    await h.manager.create({ name: 'two' })
    expect(count).toBe(1)
  })
})

describe('plugins', () => {
  it('awaits plugin listeners before the emitting call returns, and reports failures without breaking anything', async () => {
    const seen: string[] = []
    const durable: Plugin = {
      name: 'durable',
      setup(ctx) {
        ctx.on('session.created', async (e) => {
          await tick(20)
          seen.push(`created:${e.data.name}`)
        })
        ctx.onAny(async (e) => {
          if (e.event === 'messages.upsert') throw new Error('plugin bug')
        })
      },
    }
    const h = await harness({ plugins: [durable] })
    const errors: unknown[] = []
    h.manager.on('session.error', (e) => errors.push(e.data))
    const s = await h.manager.create({ name: 'p' })
    expect(seen).toEqual(['created:p'])
    await s.connect()
    await s.waitFor('qr')
    h.mock.scan(s.id)
    await s.waitFor('connected')
    h.mock.receiveText(s.id, { from: '5511988887777', text: 'x' })
    await eventually(() => expect(errors).toHaveLength(1))
    expect(errors).toContainEqual({ code: 'PLUGIN_ERROR', message: expect.stringContaining('durable'), details: { plugin: 'durable', event: 'messages.upsert' } })
    expect(s.status).toBe('connected')
  })

  it('adjusts socket config, wraps sends, validates config and exposes an API; teardown on stop', async () => {
    const order: string[] = []
    let tornDown = false
    const plugin: Plugin = {
      name: 'kit',
      setup(ctx) {
        ctx.socketConfig((session, config) => ({ ...config, browser: ['Kit', session.name, '1.0'] }))
        ctx.wrapSend(async (request, next) => {
          order.push(`before:${request.jid}`)
          const result = await next()
          order.push(`after:${result.key.id}`)
          return result
        })
        ctx.validateSession((input) => {
          if (input.metadata?.forbidden) throw new Error('forbidden metadata')
        })
        ctx.expose('kit', { hello: () => 'hi' })
        return () => {
          tornDown = true
        }
      },
    }
    const h = await harness({ plugins: [plugin] })
    expect((h.manager as unknown as { kit: { hello(): string } }).kit.hello()).toBe('hi')
    const s = await pairedSession(h, 'kit-session')
    expect(h.mock.socket(s.id)!.options.config.browser).toEqual(['Kit', 'kit-session', '1.0'])
    const sent = await s.sendText('5511988887777', 'wrapped')
    expect(order).toEqual(['before:5511988887777@s.whatsapp.net', `after:${sent.key.id}`])
    await expect(h.manager.create({ name: 'bad', metadata: { forbidden: true } })).rejects.toThrow('forbidden metadata')
    await expect(s.update({ metadata: { forbidden: true } })).rejects.toThrow('forbidden metadata')
    await h.manager.stop()
    expect(tornDown).toBe(true)
  })

  it('a plugin that fails to set up stops start() with a coded error', async () => {
    const { SessionManager, createSilentLogger } = await import('../../src/index.js')
    const manager = new SessionManager({
      logger: createSilentLogger(),
      plugins: [{ name: 'broken', setup: () => Promise.reject(new Error('no config')) }],
    })
    await expect(manager.start()).rejects.toMatchObject({ code: 'PLUGIN_ERROR' })
    expect(manager.started).toBe(false)
  })
})
