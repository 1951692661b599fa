import { storageCapabilities, type StorageAdapter } from '../../../storage/types.js'
import { bytes, codeOf, hex, type Harness } from '../harness.js'

/** Every operation of the contract, with arguments that would otherwise succeed or return "nothing". */
function everyOperation(storage: StorageAdapter, sessionId: string): [string, () => Promise<unknown>][] {
  const ops: [string, () => Promise<unknown>][] = [
    ['init', () => storage.init()],
    ['ping', () => storage.ping()],
    ['sessions.get', () => storage.sessions.get(sessionId)],
    ['sessions.getByName', () => storage.sessions.getByName(null, 'x')],
    ['sessions.list', () => storage.sessions.list()],
    ['sessions.update', () => storage.sessions.update(sessionId, { status: 'stopped' })],
    ['sessions.delete', () => storage.sessions.delete('missing')],
    ['auth.readCreds', () => storage.auth.readCreds(sessionId)],
    ['auth.getKeys', () => storage.auth.getKeys(sessionId, 'session', ['a'])],
    ['auth.commit', () => storage.auth.commit(sessionId, { keys: { session: { a: bytes(4, 1) } } })],
    ['auth.clear', () => storage.auth.clear(sessionId)],
    ['auth.scanKeys', () => storage.auth.scanKeys(sessionId)],
  ]
  const caps = storageCapabilities(storage)
  if (caps.messages) {
    ops.push(['messages.get', () => storage.messages!.get(sessionId, 'm')])
    ops.push(['messages.put', () => storage.messages!.put(sessionId, [], 10)])
  }
  if (caps.outbox) {
    ops.push(['outbox.claim', () => storage.outbox!.claim('w', 1, 1000)])
    ops.push(['outbox.list', () => storage.outbox!.list()])
  }
  if (caps.leases) ops.push(['leases.owner', () => storage.leases!.owner(sessionId)])
  return ops
}

export function lifecycleTests(h: Harness): void {
  const { it, expect } = h

  it('identifies itself (interfaceVersion 1, a kind, the lifecycle methods)', async ({ storage }) => {
    expect(storage.interfaceVersion).toBe(1)
    expect(typeof storage.kind).toBe('string')
    for (const method of ['init', 'close', 'ping'] as const) expect(typeof storage[method]).toBe('function')
  })

  it('has the capabilities it declares', async ({ storage }) => {
    const detected = storageCapabilities(storage)
    expect({ messages: detected.messages, outbox: detected.outbox, leases: detected.leases }).toEqual(h.caps)
  })

  it('init is idempotent and safe to run concurrently, from several instances', async ({ storage, open }) => {
    await storage.init()
    const a = await open({ init: false })
    const b = await open({ init: false })
    await Promise.all([a.init(), b.init(), a.init(), storage.init()])
    await Promise.all([storage.ping(), a.ping(), b.ping()])
  })

  it(
    'refuses a schema newer than the code with SCHEMA_TOO_NEW',
    async ({ open }) => {
      await h.inspect.setSchemaVersion!(9_999)
      const newer = await open({ init: false })
      expect(await codeOf(newer.init())).toBe('SCHEMA_TOO_NEW')
      // And it stays refused: operations do not quietly run against the unknown schema.
      expect(await codeOf(newer.sessions.get('x'))).toBe('SCHEMA_TOO_NEW')
    },
    { when: Boolean(h.inspect.setSchemaVersion), skipReason: 'needs inspect.setSchemaVersion' },
  )

  it('rejects every operation after close() with STORAGE_CLOSED (never null or empty), and close() twice is fine', async ({ storage, session }) => {
    const { id } = await session()
    await storage.close()
    for (const [name, op] of everyOperation(storage, id)) {
      expect(`${name}: ${await codeOf(op())}`).toBe(`${name}: STORAGE_CLOSED`)
    }
    await storage.close()
  })

  it('a new instance reads what a closed one wrote', async ({ storage, session, open }) => {
    const record = await session({ metadata: { written: 'before close' } })
    await storage.auth.commit(record.id, { creds: bytes(300, 1), keys: { session: { 'a.0': bytes(900, 2) }, 'pre-key': { '1': bytes(80, 3) } } })
    if (h.caps.messages) {
      await storage.messages!.put(record.id, [{ id: 'm1', remoteJid: 'x@s.whatsapp.net', message: bytes(50, 4), timestamp: 1_700_000_000_000 }], 10)
    }
    if (h.caps.outbox) await storage.outbox!.enqueue([{ id: `o1-${record.id}`, sessionId: record.id, target: 't', event: 'e', payload: bytes(20, 5) }])
    await storage.close()

    const next = await open()
    expect(await next.sessions.get(record.id)).toEqual(record)
    expect(hex(await next.auth.readCreds(record.id))).toBe(hex(bytes(300, 1)))
    expect(hex((await next.auth.getKeys(record.id, 'session', ['a.0'])).get('a.0'))).toBe(hex(bytes(900, 2)))
    expect(hex((await next.auth.getKeys(record.id, 'pre-key', ['1'])).get('1'))).toBe(hex(bytes(80, 3)))
    if (h.caps.messages) expect(hex((await next.messages!.get(record.id, 'm1'))?.message)).toBe(hex(bytes(50, 4)))
    if (h.caps.outbox) expect((await next.outbox!.list({ sessionId: record.id })).map((i) => i.id)).toEqual([`o1-${record.id}`])
  })
}
