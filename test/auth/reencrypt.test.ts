import { afterAll, beforeEach, describe, expect, test } from 'vitest'
import { reencryptStorage, useStorageAuthState, type EncryptionOptions, type StorageAdapter } from '../../src/index.js'
import { K1, K1_WRONG, K2, memoryBackend, sampleKeys, sqliteBackend, storedKeyIds } from './helpers.js'

const only1: EncryptionOptions = { keys: { k1: K1 }, current: 'k1' }
const rotated: EncryptionOptions = { keys: { k1: K1, k2: K2 }, current: 'k2' }
const only2: EncryptionOptions = { keys: { k2: K2 }, current: 'k2' }

async function write(storage: StorageAdapter, sessionId: string, encryption: EncryptionOptions | undefined, keys = 20, seed = 0) {
  const { state, saveCreds } = await useStorageAuthState(storage, sessionId, encryption ? { encryption } : {})
  state.creds.me = { id: `${sessionId}:1@s.whatsapp.net` }
  await saveCreds()
  await state.keys.set(sampleKeys(keys, seed))
  return state
}

for (const backend of [memoryBackend(), sqliteBackend()]) {
  describe(`key rotation and reencryptStorage (${backend.name})`, () => {
    beforeEach(() => backend.reset())
    afterAll(() => backend.cleanup())

    test('after rotation old data stays readable, new writes use the current key, and the helper migrates the rest', async () => {
      const storage = backend.open()
      await write(storage, 'a', only1)
      await write(storage, 'b', only1)
      expect(await storedKeyIds(storage, 'a')).toEqual({ k1: 43 })

      // Rotate: k2 current, k1 still configured. Everything old reads; every new write is k2.
      const { state, saveCreds } = await useStorageAuthState(storage, 'a', { encryption: rotated })
      expect(state.creds.me?.id).toBe('a:1@s.whatsapp.net')
      expect(Object.keys(await state.keys.get('pre-key', ['1', '2', '3']))).toHaveLength(3)
      await saveCreds()
      await state.keys.set({ session: { '5511900.0': Buffer.from([1]) }, 'pre-key': { '1': null } })
      // 43 values: creds rewritten (k2), one pre-key deleted, one new session (k2).
      expect(await storedKeyIds(storage, 'a')).toEqual({ k1: 41, k2: 2 })

      const report = await reencryptStorage(storage, { encryption: rotated, batchSize: 7 })
      expect(report).toEqual({ sessions: 2, creds: 1, keys: 41 + 42, busy: [] })
      expect(await storedKeyIds(storage, 'a')).toEqual({ k2: 43 })
      expect(await storedKeyIds(storage, 'b')).toEqual({ k2: 43 })
      // Idempotent: nothing left to do.
      expect(await reencryptStorage(storage, { encryption: rotated })).toEqual({ sessions: 2, creds: 0, keys: 0, busy: [] })

      // The old key can go: everything reads with k2 alone, byte for byte the same values.
      const after = await useStorageAuthState(storage, 'b', { encryption: only2 })
      expect(after.state.creds.me?.id).toBe('b:1@s.whatsapp.net')
      const preKeys = await after.state.keys.get('pre-key', Array.from({ length: 20 }, (_, i) => String(i + 1)))
      expect(Object.keys(preKeys)).toHaveLength(20)
      expect(Buffer.from(preKeys['7']!.private).equals(Buffer.alloc(32, 7))).toBe(true)
      await storage.close()
    })

    test('turns encryption on for data written in plaintext', async () => {
      const storage = backend.open()
      await write(storage, 'plain', undefined)
      expect(await storedKeyIds(storage, 'plain')).toEqual({ plain: 43 })
      expect(await reencryptStorage(storage, { encryption: only1 })).toMatchObject({ creds: 1, keys: 42 })
      expect(await storedKeyIds(storage, 'plain')).toEqual({ k1: 43 })
      await expect(useStorageAuthState(storage, 'plain')).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISSING' })
      expect((await useStorageAuthState(storage, 'plain', { encryption: only1 })).state.creds.me?.id).toBe('plain:1@s.whatsapp.net')
      await storage.close()
    })

    test('a key it cannot decrypt stops the run with a coded error; nothing is skipped or lost', async () => {
      const storage = backend.open()
      await write(storage, 'a', only1)
      const before = await storage.auth.scanKeys('a', { limit: 1000 })
      await expect(reencryptStorage(storage, { encryption: only2 })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISSING' })
      await expect(reencryptStorage(storage, { encryption: { keys: { k1: K1_WRONG, k2: K2 }, current: 'k2' } })).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      })
      const afterFailures = await storage.auth.scanKeys('a', { limit: 1000 })
      expect(afterFailures.map((k) => Buffer.from(k.value).toString('hex'))).toEqual(before.map((k) => Buffer.from(k.value).toString('hex')))
      expect(await storedKeyIds(storage, 'a')).toEqual({ k1: 43 })
      await storage.close()
    })

    test('only the sessions asked for; an unknown one is SESSION_NOT_FOUND; a leased one is reported busy', async () => {
      const storage = backend.open()
      await write(storage, 'a', only1, 3)
      await write(storage, 'b', only1, 3)
      await write(storage, 'c', only1, 3)
      expect(await reencryptStorage(storage, { encryption: rotated, sessionIds: ['b'] })).toEqual({ sessions: 1, creds: 1, keys: 8, busy: [] })
      expect(await storedKeyIds(storage, 'a')).toEqual({ k1: 9 })
      expect(await storedKeyIds(storage, 'b')).toEqual({ k2: 9 })
      await expect(reencryptStorage(storage, { encryption: rotated, sessionIds: ['nope'] })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' })

      // Another process owns 'c': it is left alone and reported.
      await storage.leases!.acquire('c', 'someone-else', 60_000)
      expect(await reencryptStorage(storage, { encryption: rotated })).toEqual({ sessions: 2, creds: 1, keys: 8, busy: ['c'] })
      expect(await storedKeyIds(storage, 'c')).toEqual({ k1: 9 })
      // Our own leases were released afterwards.
      expect(await storage.leases!.owner('a')).toBeNull()
      await storage.close()
    })

    test('rejects a bad batch size or a bad key configuration before touching anything', async () => {
      const storage = backend.open()
      await expect(reencryptStorage(storage, { encryption: rotated, batchSize: 0 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
      await expect(reencryptStorage(storage, { encryption: { keys: { k1: 'short' }, current: 'k1' } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
      await storage.close()
    })
  })
}
