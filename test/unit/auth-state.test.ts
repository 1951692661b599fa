import { BufferJSON, initAuthCreds, proto } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import { createMemoryBacking, createMemoryStorage, useStorageAuthState } from '../../src/index.js'
import { createValueCodec } from '../../src/auth/codec.js'

describe('useStorageAuthState (drop-in for useMultiFileAuthState)', () => {
  it('has the same shape and persists creds and keys across instances', async () => {
    const backing = createMemoryBacking()
    const { state, saveCreds } = await useStorageAuthState(createMemoryStorage({ backing }), 'bot')
    expect(Object.keys(state)).toEqual(['creds', 'keys'])
    expect(state.creds.registered).toBe(false)
    state.creds.me = { id: '5511999990001:1@s.whatsapp.net' }
    await saveCreds()
    await state.keys.set({
      'pre-key': { '1': { public: Buffer.from([1, 2]), private: Buffer.from([3, 4]) } },
      session: { '5511999990001.0': Buffer.from([9, 9, 9]) },
      'app-state-sync-key': { 'AAAA/+==': proto.Message.AppStateSyncKeyData.create({ keyData: Buffer.from([7]) }) },
      'lid-mapping': { '5511999990001': '123456789' },
    })

    const again = await useStorageAuthState(createMemoryStorage({ backing }), 'bot')
    expect(again.state.creds.me?.id).toBe('5511999990001:1@s.whatsapp.net')
    expect(Buffer.from(again.state.creds.noiseKey.private)).toEqual(Buffer.from(state.creds.noiseKey.private))
    const preKeys = await again.state.keys.get('pre-key', ['1', '2'])
    expect(Object.keys(preKeys)).toEqual(['1'])
    expect(Buffer.from(preKeys['1']!.private)).toEqual(Buffer.from([3, 4]))
    const syncKeys = await again.state.keys.get('app-state-sync-key', ['AAAA/+=='])
    expect(syncKeys['AAAA/+==']).toBeInstanceOf(proto.Message.AppStateSyncKeyData)
    expect(await again.state.keys.get('lid-mapping', ['5511999990001'])).toEqual({ '5511999990001': '123456789' })
    await again.state.keys.set({ session: { '5511999990001.0': null } })
    expect(await again.state.keys.get('session', ['5511999990001.0'])).toEqual({})
  })

  it('clear() wipes credentials and keys', async () => {
    const storage = createMemoryStorage()
    const { state, saveCreds, clear } = await useStorageAuthState(storage, 'wipe')
    await saveCreds()
    await state.keys.set({ session: { a: Buffer.from([1]) } })
    await clear()
    expect(await storage.auth.readCreds('wipe')).toBeNull()
    expect((await storage.auth.getKeys('wipe', 'session', ['a'])).size).toBe(0)
  })

  it('a failed write rejects (never silently dropped)', async () => {
    const storage = createMemoryStorage()
    const { state, saveCreds } = await useStorageAuthState(storage, 'closed')
    await storage.close()
    await expect(saveCreds()).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
    await expect(state.keys.set({ session: { a: Buffer.from([1]) } })).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
    await expect(state.keys.get('session', ['a'])).rejects.toMatchObject({ code: 'STORAGE_CLOSED' })
  })

  it('corrupt stored creds reject with CODEC_ERROR instead of becoming fresh creds', async () => {
    const backing = createMemoryBacking()
    const storage = createMemoryStorage({ backing })
    await useStorageAuthState(storage, 'broken').then(({ saveCreds }) => saveCreds())
    backing.creds.set('broken', new Uint8Array([1, 123, 34]))
    await expect(useStorageAuthState(storage, 'broken')).rejects.toMatchObject({ code: 'CODEC_ERROR' })
  })
})

describe('value codec', () => {
  it('is BufferJSON-compatible and tagged', () => {
    const codec = createValueCodec()
    const creds = initAuthCreds()
    const bytes = codec.encode(creds, 'ctx')
    expect(bytes[0]).toBe(0x01)
    expect(JSON.parse(Buffer.from(bytes.subarray(1)).toString('utf8'), BufferJSON.reviver)).toEqual(JSON.parse(JSON.stringify(creds, BufferJSON.replacer), BufferJSON.reviver))
    expect(codec.decode(bytes, 'ctx')).toEqual(JSON.parse(JSON.stringify(creds, BufferJSON.replacer), BufferJSON.reviver))
  })

  it('stores a bare byte array as its bytes (0x03) and decodes it to an equal Buffer, old JSON included', () => {
    const codec = createValueCodec()
    const view = Buffer.from([9, 8, 7, 6, 5]).subarray(1, 4)
    const bytes = codec.encode(view, 'ctx')
    expect([...bytes]).toEqual([0x03, 8, 7, 6])
    const decoded = codec.decode<Buffer>(bytes, 'ctx')
    expect(Buffer.isBuffer(decoded)).toBe(true)
    expect([...decoded]).toEqual([8, 7, 6])
    // A copy: changing what was decoded leaves the stored bytes alone.
    decoded[0] = 0
    expect(bytes[1]).toBe(8)
    expect(codec.decode<Buffer>(codec.encode(new Uint8Array(0), 'ctx'), 'ctx').length).toBe(0)
    // Values written as JSON before 0x03 existed still read back as the same bytes.
    const legacy = Buffer.concat([Buffer.from([0x01]), Buffer.from(JSON.stringify(Buffer.from([8, 7, 6]), BufferJSON.replacer))])
    expect(codec.decode(legacy, 'ctx')).toEqual(Buffer.from([8, 7, 6]))
    // Through encryption too.
    const sealed = createValueCodec({ encryption: { keys: { k1: Buffer.alloc(32, 1) }, current: 'k1' } })
    expect(sealed.decode(sealed.encode(view, 'ctx'), 'ctx')).toEqual(Buffer.from([8, 7, 6]))
    expect(codec.isStale(bytes)).toBe(false)
    expect(sealed.isStale(bytes)).toBe(true)
  })

  it('rejects unknown formats and encrypted data without keys', () => {
    const codec = createValueCodec()
    expect(() => codec.decode(new Uint8Array([9, 1, 2]), 'ctx')).toThrow(expect.objectContaining({ code: 'CODEC_ERROR' }))
    const encrypted = createValueCodec({ encryption: { keys: { k1: Buffer.alloc(32, 1) }, current: 'k1' } }).encode({ a: 1 }, 'ctx')
    expect(() => codec.decode(encrypted, 'ctx')).toThrow(expect.objectContaining({ code: 'ENCRYPTION_KEY_MISSING' }))
  })
})

describe('codec output for anything but a bare byte array is byte-identical to BufferJSON', () => {
  it.each([
    ['fresh creds', () => initAuthCreds()],
    ['an array of byte arrays', () => [new Uint8Array([1, 2, 3, 250]), Buffer.from([9, 8, 7, 6, 5]).subarray(1, 4)]],
    ['a key pair', () => ({ public: Buffer.alloc(33, 5), private: new Uint8Array(32).fill(7) })],
    ['an object of byte arrays with odd keys and views', () => ({ 'a"b\\\u2028': new Uint8Array([1]), '': Buffer.from([1, 2, 3, 4]).subarray(2), é: new Uint8Array(0) })],
    ['an empty object', () => ({})],
    ['a null-prototype object of byte arrays', () => Object.assign(Object.create(null) as object, { k: new Uint8Array([3]) })],
    ['a class instance with a byte field', () => new (class { k = new Uint8Array([3]) })()],
    ['an app-state sync key (proto)', () => proto.Message.AppStateSyncKeyData.create({ keyData: Buffer.from([1, 2]), timestamp: 1700000000 })],
    ['an LT hash state', () => ({ version: 3, hash: Buffer.alloc(128, 1), indexValueMap: { 'a+/=': { valueMac: new Uint8Array([4]) } } })],
    ['a Buffer-shaped object', () => ({ type: 'Buffer', data: [1, 2, 3] })],
    ['mixed values', () => ({ a: [1, 'x', null, undefined, new Uint8Array([1])], b: undefined, c: new Date(0), d: { e: true } })],
  ])('%s', (_name, make) => {
    const value = make()
    const expected = JSON.stringify(value, BufferJSON.replacer)
    expect(Buffer.from(createValueCodec().encode(value, 'ctx').subarray(1)).toString('utf8')).toBe(expected)
  })
})
