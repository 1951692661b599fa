import { afterAll, beforeEach, describe, expect, test } from 'vitest'
import { useStorageAuthState } from '../../src/index.js'
import { K1, K1_WRONG, K2, keyIdOf, memoryBackend, sampleKeys, sqliteBackend, storedKeyIds } from './helpers.js'

for (const backend of [memoryBackend(), sqliteBackend()]) {
  describe(`encryption at rest (${backend.name})`, () => {
    beforeEach(() => backend.reset())
    afterAll(() => backend.cleanup())

    const seed = async () => {
      const storage = backend.open()
      const { state, saveCreds } = await useStorageAuthState(storage, 'bot', { encryption: { keys: { k1: K1 }, current: 'k1' } })
      state.creds.me = { id: '5511999990001:1@s.whatsapp.net', name: 'secret name' }
      await saveCreds()
      await state.keys.set(sampleKeys(5))
      await storage.close()
      return state
    }

    test('the adapter only ever sees ciphertext bound to its slot', async () => {
      const state = await seed()
      const storage = backend.open()
      const creds = (await storage.auth.readCreds('bot'))!
      expect(keyIdOf(creds)).toBe('k1')
      expect(Buffer.from(creds).includes('secret name')).toBe(false)
      expect(Buffer.from(creds).includes(Buffer.from(state.creds.noiseKey.private))).toBe(false)
      expect(await storedKeyIds(storage, 'bot')).toEqual({ k1: 13 })
      // Moving a value into another slot (same key, different id) does not decrypt: the slot is the AAD.
      const [a, b] = (await storage.auth.scanKeys('bot')).filter((k) => k.category === 'session')
      await storage.auth.commit('bot', { keys: { session: { [b!.id]: a!.value } } })
      const reopened = await useStorageAuthState(storage, 'bot', { encryption: { keys: { k1: K1 }, current: 'k1' } })
      await expect(reopened.state.keys.get('session', [b!.id])).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' })
      expect(Object.keys(await reopened.state.keys.get('session', [a!.id]))).toEqual([a!.id])
      await storage.close()
    })

    test('no key configured: ENCRYPTION_KEY_MISSING, never fresh credentials (no silent re-pair)', async () => {
      await seed()
      const storage = backend.open()
      const before = Buffer.from((await storage.auth.readCreds('bot'))!)
      await expect(useStorageAuthState(storage, 'bot')).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISSING' })
      // Only the new key configured: the id the data names is missing.
      await expect(useStorageAuthState(storage, 'bot', { encryption: { keys: { k2: K2 }, current: 'k2' } })).rejects.toMatchObject({
        code: 'ENCRYPTION_KEY_MISSING',
        details: expect.objectContaining({ keyId: 'k1' }),
      })
      expect(Buffer.compare(Buffer.from((await storage.auth.readCreds('bot'))!), before)).toBe(0)
      await storage.close()
    })

    test('wrong key or tampered bytes: DECRYPTION_FAILED, for creds and for keys', async () => {
      await seed()
      const storage = backend.open()
      await expect(useStorageAuthState(storage, 'bot', { encryption: { keys: { k1: K1_WRONG }, current: 'k1' } })).rejects.toMatchObject({
        code: 'DECRYPTION_FAILED',
      })
      // Right key for creds, tampered key value.
      const [victim] = await storage.auth.scanKeys('bot', { limit: 1 })
      const tampered = Buffer.from(victim!.value)
      tampered[tampered.length - 1]! ^= 0x01
      await storage.auth.commit('bot', { keys: { [victim!.category]: { [victim!.id]: tampered } } })
      const { state } = await useStorageAuthState(storage, 'bot', { encryption: { keys: { k1: K1 }, current: 'k1' } })
      await expect(state.keys.get(victim!.category as 'session', [victim!.id])).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' })
      // A truncated envelope is reported the same way, not as "missing".
      await storage.auth.commit('bot', { keys: { [victim!.category]: { [victim!.id]: tampered.subarray(0, 10) } } })
      await expect(state.keys.get(victim!.category as 'session', [victim!.id])).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' })
      await storage.close()
    })

    test('values round-trip exactly through encryption (Buffers, protos, strings)', async () => {
      const written = await seed()
      const storage = backend.open()
      const { state } = await useStorageAuthState(storage, 'bot', { encryption: { keys: { k1: K1 }, current: 'k1' } })
      expect(state.creds.me).toEqual(written.creds.me)
      expect(Buffer.from(state.creds.noiseKey.private).equals(Buffer.from(written.creds.noiseKey.private))).toBe(true)
      const expected = sampleKeys(5)
      const preKeys = await state.keys.get('pre-key', Object.keys(expected['pre-key']!))
      expect(Object.keys(preKeys).sort()).toEqual(Object.keys(expected['pre-key']!).sort())
      expect(Buffer.from(preKeys['3']!.private).equals(expected['pre-key']!['3']!.private as Buffer)).toBe(true)
      expect(await state.keys.get('lid-mapping', ['551190'])).toEqual({ '551190': '123456789' })
      const sync = await state.keys.get('app-state-sync-key', ['AAAA0/+=='])
      expect(Buffer.from(sync['AAAA0/+==']!.keyData!)).toEqual(Buffer.from([1, 2, 3]))
      await storage.close()
    })
  })
}
