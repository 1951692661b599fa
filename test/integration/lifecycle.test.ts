import { describe, expect, it } from 'vitest'
import { createMemoryBacking, createMemoryStorage, isWafleetError, type WASocketLike } from '../../src/index.js'
import { eventually, managedHarness, pairedSession, recordStatuses } from '../helpers/manager.js'

const harness = managedHarness()

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms))

describe('connection lifecycle', () => {
  it('goes starting → qr → starting (515) → connected and persists the pairing', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'pair-me' })
    const statuses = recordStatuses(s)
    await s.connect()
    await s.waitFor('qr')
    expect(s.qr).toMatchObject({ attempt: 1 })
    expect(s.qr!.dataUrl).toMatch(/^data:image\/png;base64,/)
    expect(s.qr!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000)
    h.mock.scan(s.id, { phoneNumber: '5511999990001' })
    await s.waitFor('connected')
    expect(statuses).toEqual(['starting', 'qr', 'starting', 'connected'])
    expect(s.qr).toBeNull()
    expect(s.isPaired).toBe(true)
    expect(s.jid).toBe('5511999990001@s.whatsapp.net')
    expect(s.lid).toMatch(/@lid$/)
    expect(s.connectedAt).toBeInstanceOf(Date)
    // The 515 restart built a second socket; the first one was ended and lost every listener.
    const [first, second] = h.mock.sockets(s.id)
    expect(first!.ended).toBe(true)
    expect(first!.listenerCount).toBe(0)
    expect(second!.ended).toBe(false)
    const stored = await h.manager.storage.auth.readCreds(s.id)
    expect(stored).not.toBeNull()
    const record = await h.manager.storage.sessions.get(s.id)
    expect(record).toMatchObject({ status: 'connected', desiredState: 'running', phoneNumber: '5511999990001' })
  })

  it('rotates the QR and emits each one', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'rotate' })
    const qrs: string[] = []
    s.on('session.qr', (e) => qrs.push(e.qr))
    await s.connect()
    await s.waitFor('qr')
    await eventually(() => expect(qrs).toHaveLength(1))
    h.mock.socket(s.id)!.rotateQr()
    await eventually(() => expect(qrs).toHaveLength(2))
    expect(qrs[0]).not.toBe(qrs[1])
    expect(s.qr).toMatchObject({ value: qrs[1], attempt: 2 })
  })

  it('connect is idempotent and never opens a second socket', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'idem')
    await Promise.all([s.connect(), s.connect(), s.connect()])
    expect(h.mock.sockets(s.id)).toHaveLength(2) // QR socket + the one after 515
    expect(s.status).toBe('connected')
  })

  it('serializes concurrent lifecycle operations (one socket at a time)', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'serial')
    await Promise.all([s.restart(), s.disconnect(), s.connect(), s.restart()])
    const sockets = h.mock.sockets(s.id)
    // Every socket but the last is ended; the mock throws if one is created while another is live.
    expect(sockets.slice(0, -1).every((socket) => socket.ended)).toBe(true)
    await s.waitFor('connected')
  })

  it('disconnect keeps credentials and a later connect needs no QR', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'keep')
    await s.disconnect()
    expect(s.status).toBe('stopped')
    expect((await h.manager.storage.sessions.get(s.id))?.desiredState).toBe('stopped')
    expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
    await s.connect()
    await s.waitFor('connected')
    expect(h.mock.socket(s.id)!.qrs).toHaveLength(0)
  })

  it('logout unlinks, wipes credentials and keys, and never reconnects', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'bye')
    await h.manager.storage.auth.commit(s.id, { keys: { session: { 'a.0': new Uint8Array([1]) } } })
    const live = h.mock.socket(s.id)!
    await s.logout()
    expect(s.status).toBe('logged_out')
    expect(live.ended).toBe(true)
    expect(await h.manager.storage.auth.readCreds(s.id)).toBeNull()
    expect((await h.manager.storage.auth.getKeys(s.id, 'session', ['a.0'])).size).toBe(0)
    await tick(20)
    expect(h.mock.socket(s.id)).toBeUndefined()
    expect(s.phoneNumber).toBeNull()
    // Pairing again starts from fresh credentials and is persisted as usual.
    await s.connect()
    await s.waitFor('qr')
    h.mock.scan(s.id, { phoneNumber: '5511999990077' })
    await s.waitFor('connected')
    expect(s.phoneNumber).toBe('5511999990077')
    expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
  })

  it('restart builds a new socket and reconnects without a QR', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'again')
    const before = h.mock.sockets(s.id).length
    await s.restart()
    await s.waitFor('connected')
    expect(h.mock.sockets(s.id)).toHaveLength(before + 1)
    expect(h.mock.socket(s.id)!.qrs).toHaveLength(0)
  })
})

describe('reconnect policy: one test per disconnect code', () => {
  async function connected(name: string) {
    const h = await harness()
    const s = await pairedSession(h, name)
    const statuses = recordStatuses(s)
    const errors: string[] = []
    s.on('session.error', (e) => errors.push(e.code))
    return { h, s, statuses, errors }
  }

  it('515 restart required: reconnects at once', async () => {
    const { h, s, statuses } = await connected('c515')
    h.mock.disconnect(s.id, 515)
    await s.waitFor('starting')
    await s.waitFor('connected')
    expect(statuses).toEqual(['starting', 'connected'])
    expect(s.lastDisconnect).toMatchObject({ code: 515, reason: 'restart_required' })
  })

  for (const code of [428, 408, 500, 503]) {
    it(`${code}: backs off and reconnects`, async () => {
      const { h, s, statuses } = await connected(`c${code}`)
      h.mock.disconnect(s.id, code)
      await s.waitFor('reconnecting')
      await s.waitFor('connected')
      expect(statuses).toEqual(['reconnecting', 'connected'])
      expect(s.lastDisconnect?.code).toBe(code)
      expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
    })
  }

  it('401 logged out (device removed on the phone): wipes credentials, never reconnects', async () => {
    const { h, s, statuses, errors } = await connected('c401')
    const deadKeys = h.mock.socket(s.id)!.options.config.auth.keys
    h.mock.disconnect(s.id, 401)
    await s.waitFor('logged_out')
    // The dead socket may still be finishing a transaction: its writes must not resurrect the device's keys.
    await deadKeys.set({ 'identity-key': { '123_1.0': new Uint8Array([1]) } })
    expect((await h.manager.storage.auth.getKeys(s.id, 'identity-key', ['123_1.0'])).size).toBe(0)
    await tick(20)
    expect(statuses).toEqual(['logged_out'])
    expect(errors).toContain('LOGGED_OUT')
    expect(await h.manager.storage.auth.readCreds(s.id)).toBeNull()
    expect(h.mock.socket(s.id)).toBeUndefined()
    expect((await h.manager.storage.sessions.get(s.id))?.desiredState).toBe('stopped')
  })

  it('440 replaced: stops and never fights the other client', async () => {
    const { h, s, statuses, errors } = await connected('c440')
    const count = h.mock.sockets(s.id).length
    h.mock.disconnect(s.id, 440)
    await s.waitFor('stopped')
    await tick(30)
    expect(statuses).toEqual(['stopped'])
    expect(errors).toContain('CONNECTION_REPLACED')
    expect(h.mock.sockets(s.id)).toHaveLength(count)
    expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
  })

  it('408 QR refs attempts ended: stops, no QR loop, nothing half-paired left', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'qr-timeout' })
    const errors: string[] = []
    s.on('session.error', (e) => errors.push(e.code))
    await s.connect()
    await s.waitFor('qr')
    h.mock.disconnect(s.id, 408, 'QR refs attempts ended')
    await s.waitFor('stopped')
    await tick(30)
    expect(errors).toEqual(['QR_TIMEOUT'])
    expect(h.mock.sockets(s.id)).toHaveLength(1)
    expect(await h.manager.storage.auth.readCreds(s.id)).toBeNull()
  })

  it('the mock runs out of QRs by itself and the session stops', async () => {
    const { createMockSocketFactory } = await import('../../src/testing/index.js')
    const h = await harness({ mock: createMockSocketFactory({ firstQrMs: 5, qrIntervalMs: 5, maxQrs: 3 }) })
    const s = await h.manager.create({ name: 'qr-run-out' })
    await s.connect()
    await s.waitFor('stopped', 2000)
    expect(h.mock.sockets(s.id)[0]!.qrs).toHaveLength(3)
    expect(s.lastDisconnect).toMatchObject({ code: 408, reason: 'qr_timeout' })
  })

  it('405 outdated version: refreshes the version and retries once, then fails', async () => {
    let refreshed = 0
    const h = await harness({
      versionProvider: async () => {
        refreshed++
        return [2, 3000, 1] as [number, number, number]
      },
    })
    const s = await pairedSession(h, 'c405')
    h.mock.failNextConnections(s.id, 2, 405)
    h.mock.disconnect(s.id, 428)
    await s.waitFor('failed')
    expect(refreshed).toBe(1)
    expect(s.error?.code).toBe('VERSION_OUTDATED')
    const last = h.mock.sockets(s.id).at(-1)!
    expect(last.options.config.version).toEqual([2, 3000, 1])
  })

  for (const [code, errorCode] of [
    [403, 'ACCOUNT_FORBIDDEN'],
    [411, 'MULTIDEVICE_MISMATCH'],
  ] as const) {
    it(`${code}: terminal, fails without reconnecting and keeps credentials`, async () => {
      const { h, s, errors } = await connected(`c${code}`)
      const count = h.mock.sockets(s.id).length
      h.mock.disconnect(s.id, code)
      await s.waitFor('failed')
      await tick(30)
      expect(errors).toContain(errorCode)
      expect(s.error?.code).toBe(errorCode)
      expect(h.mock.sockets(s.id)).toHaveLength(count)
      expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
    })
  }

  it('circuit breaker: N consecutive failures → failed, credentials and record kept', async () => {
    const { h, s, statuses } = await connected('breaker')
    h.mock.failNextConnections(s.id, 100, 428)
    h.mock.disconnect(s.id, 428)
    await s.waitFor('failed', 5_000)
    expect(s.error?.code).toBe('CONNECTION_FAILED')
    expect(statuses.filter((x) => x === 'reconnecting').length).toBeGreaterThanOrEqual(4)
    expect(await h.manager.storage.auth.readCreds(s.id)).not.toBeNull()
    expect(h.manager.get(s.id)).toBe(s)
    // Intent stays "running": the next start (or connect) tries again.
    expect((await h.manager.storage.sessions.get(s.id))?.desiredState).toBe('running')
    h.mock.failNextConnections(s.id, 0, 428)
    await s.connect()
    await s.waitFor('connected')
  })

  it('a failure budget resets after the session connects again', async () => {
    const { h, s } = await connected('budget')
    for (let i = 0; i < 3; i++) {
      h.mock.failNextConnections(s.id, 3, 500)
      h.mock.disconnect(s.id, 500)
      await s.waitFor('reconnecting')
      await s.waitFor('connected', 3_000)
    }
    expect(s.status).toBe('connected')
  })
})

describe('pairing code', () => {
  it('returns an 8-character code, then pairs when the phone confirms', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'code' })
    const events: unknown[] = []
    s.on('session.pairing_code', (e) => events.push(e))
    const code = await s.requestPairingCode('+55 11 99999-0002')
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/)
    expect(s.status).toBe('pairing')
    expect(events).toEqual([{ code, phoneNumber: '5511999990002' }])
    h.mock.scan(s.id, { phoneNumber: '5511999990002' })
    await s.waitFor('connected')
    expect(s.phoneNumber).toBe('5511999990002')
  })

  it('rejects a bad phone number with INVALID_PHONE', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'bad-phone' })
    await expect(s.requestPairingCode('12')).rejects.toMatchObject({ code: 'INVALID_PHONE' })
    await expect(s.requestPairingCode('011999990000')).rejects.toMatchObject({ code: 'INVALID_PHONE' })
    expect(h.mock.sockets(s.id)).toHaveLength(0)
  })

  it('refuses a session that is already paired', async () => {
    const h = await harness()
    const s = await pairedSession(h, 'paired-already')
    await expect(s.requestPairingCode('5511999990003')).rejects.toMatchObject({ code: 'SESSION_ALREADY_PAIRED' })
  })

  it('an aborted attempt leaves no half-paired credentials behind', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'abort' })
    await s.requestPairingCode('5511999990004')
    // Baileys wrote creds.me for the code; the phone never confirmed.
    await s.disconnect()
    expect(await h.manager.storage.auth.readCreds(s.id)).toBeNull()
    await s.connect()
    await s.waitFor('qr')
    expect(h.mock.socket(s.id)!.options.config.auth.creds.me).toBeUndefined()
  })

  it('a code that expires unused leaves nothing behind either', async () => {
    const h = await harness()
    const s = await h.manager.create({ name: 'expire' })
    await s.requestPairingCode('5511999990005')
    h.mock.disconnect(s.id, 408, 'QR refs attempts ended')
    await s.waitFor('stopped')
    await tick(20)
    expect(await h.manager.storage.auth.readCreds(s.id)).toBeNull()
  })
})

describe('restore on start', () => {
  it('reconnects every running, paired session without a QR, and only those', async () => {
    const backing = createMemoryBacking()
    const first = await harness({ storage: createMemoryStorage({ backing }) })
    const running = await pairedSession(first, 'running-1')
    const running2 = await pairedSession(first, 'running-2', '5511999990009')
    const stopped = await pairedSession(first, 'stopped', '5511999990010')
    await stopped.disconnect()
    const unpaired = await first.manager.create({ name: 'never-paired' })
    await unpaired.connect()
    await unpaired.waitFor('qr')
    await first.manager.stop()
    expect((await first.manager.storage.sessions.get(running.id))?.desiredState).toBe('running')

    const second = await harness({ storage: createMemoryStorage({ backing }) })
    const m = second.manager
    expect(m.get(running.id)?.status).toBe('connected')
    expect(m.get(running2.id)?.status).toBe('connected')
    expect(m.get(stopped.id)?.status).toBe('stopped')
    expect(m.get(unpaired.id)?.status).toBe('stopped')
    expect(second.mock.sockets(running.id)).toHaveLength(1)
    expect(second.mock.sockets(running.id)[0]!.qrs).toHaveLength(0)
    expect(second.mock.sockets(stopped.id)).toHaveLength(0)
    expect(second.mock.sockets(unpaired.id)).toHaveLength(0)
    // Stored statuses follow: nothing is listed as showing a QR any more.
    expect((await m.list({ status: 'qr' })).items).toEqual([])
    expect((await m.list({ status: 'connected' })).items.map((s) => s.name).sort()).toEqual(['running-1', 'running-2'])
  })

  it('restores N at a time', async () => {
    const backing = createMemoryBacking()
    const first = await harness({ storage: createMemoryStorage({ backing }) })
    for (let i = 0; i < 12; i++) await pairedSession(first, `s${i}`, `55119999900${String(i).padStart(2, '0')}`)
    await first.manager.stop()

    const { createMockSocketFactory } = await import('../../src/testing/index.js')
    const mock = createMockSocketFactory()
    let connecting = 0
    let peak = 0
    const factory: typeof mock.factory = (options) => {
      const socket = mock.factory(options) as WASocketLike
      connecting++
      peak = Math.max(peak, connecting)
      const onUpdate = (u: { connection?: string }): void => {
        if (u.connection === 'open' || u.connection === 'close') {
          connecting--
          socket.ev.off('connection.update', onUpdate)
        }
      }
      socket.ev.on('connection.update', onUpdate)
      return socket
    }
    const second = await harness({ storage: createMemoryStorage({ backing }), socketFactory: factory, mock, restore: { concurrency: 3 } })
    const sessions = (await second.manager.list()).items
    expect(sessions.every((s) => s.status === 'connected')).toBe(true)
    expect(peak).toBe(3)
  })

  it('stop() closes sockets, keeps credentials and intents, and flushes writes', async () => {
    const backing = createMemoryBacking()
    const h = await harness({ storage: createMemoryStorage({ backing }) })
    const s = await pairedSession(h, 'flush')
    await s.sendText('5511988887777', 'counted')
    await h.manager.stop()
    expect(h.mock.socket(s.id)).toBeUndefined()
    const record = backing.sessions.get(s.id)!
    expect(record.desiredState).toBe('running')
    expect(record.stats.messagesSent).toBe(1)
    expect(backing.creds.get(s.id)).toBeDefined()
    await expect(h.manager.create({ name: 'late' })).rejects.toMatchObject({ code: 'MANAGER_STOPPED' })
  })
})

describe('errors are coded', () => {
  it('unknown session, duplicate names per tenant, bad input', async () => {
    const h = await harness()
    const m = h.manager
    expect(m.get('nope')).toBeUndefined()
    expect(() => m.getOrThrow('nope')).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }))
    await expect(m.delete('nope')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })
    await m.create({ name: 'dup' })
    await expect(m.create({ name: 'dup' })).rejects.toMatchObject({ code: 'SESSION_NAME_TAKEN' })
    await m.create({ name: 'dup', tenantId: 'acme' })
    await expect(m.create({ name: 'dup', tenantId: 'acme' })).rejects.toMatchObject({ code: 'SESSION_NAME_TAKEN' })
    await expect(m.create({ name: '' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(m.create({ name: 'x', id: 'bad id/../' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(m.create({ name: 'y', metadata: [] as never })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    const err = await m.create({ name: 'dup' }).catch((e: unknown) => e)
    expect(isWafleetError(err)).toBe(true)
    expect((err as Error).name).toBe('SessionError')
  })

  it('sends: bad recipient, not connected, oversized media', async () => {
    const h = await harness({ maxMediaBytes: 1024 })
    const idle = await h.manager.create({ name: 'idle' })
    await expect(idle.sendText('5511988887777', 'x')).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' })
    const s = await pairedSession(h, 'sender')
    await expect(s.sendText('not a number', 'x')).rejects.toMatchObject({ code: 'INVALID_RECIPIENT' })
    await expect(s.sendText('123@unknown.server', 'x')).rejects.toMatchObject({ code: 'INVALID_RECIPIENT' })
    await expect(s.sendText('5511988887777', '')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendMedia('5511988887777', { buffer: Buffer.alloc(2048), mimetype: 'image/png' })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    })
    await expect(s.sendMedia('5511988887777', { base64: Buffer.alloc(4096).toString('base64') })).rejects.toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    })
    expect(h.mock.sent(s.id)).toHaveLength(0)
  })
})
