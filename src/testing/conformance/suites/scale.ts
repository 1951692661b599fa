import { bytes, hex, type Harness } from '../harness.js'

/** Baileys' INITIAL_PREKEY_COUNT: the first login writes this many pre-keys in one batch. */
export const INITIAL_PREKEY_COUNT = 812

export function scaleTests(h: Harness): void {
  const { it, expect } = h

  it(
    'one commit of 812 pre-keys and 5,000 sessions, read back whole (and 40,000 ids asked at once)',
    async ({ storage, session }) => {
      const s = await session()
      const preKeys: Record<string, Uint8Array> = {}
      for (let i = 1; i <= INITIAL_PREKEY_COUNT; i++) preKeys[String(i)] = bytes(140, i)
      const sessions: Record<string, Uint8Array> = {}
      for (let i = 0; i < 5_000; i++) sessions[`55119${String(i).padStart(8, '0')}.0`] = bytes(1_000, 10_000 + i)
      await storage.auth.commit(s.id, { creds: bytes(1_500, 7), keys: { 'pre-key': preKeys, session: sessions } })

      const readPreKeys = await storage.auth.getKeys(s.id, 'pre-key', Object.keys(preKeys))
      expect(readPreKeys.size).toBe(INITIAL_PREKEY_COUNT)
      const askedFor = [...Object.keys(sessions)]
      for (let i = 0; askedFor.length < 40_000; i++) askedFor.push(`absent-${i}.0`)
      const readSessions = await storage.auth.getKeys(s.id, 'session', askedFor)
      expect(readSessions.size).toBe(5_000)
      const wrong = [...Object.entries(sessions), ...Object.entries(preKeys)]
        .filter(([id, value]) => hex((readSessions.get(id) ?? readPreKeys.get(id))!) !== hex(value))
        .map(([id]) => id)
      expect(wrong).toEqual([])
      expect(hex(await storage.auth.readCreds(s.id))).toBe(hex(bytes(1_500, 7)))
    },
    { slow: true },
  )

  it(
    'getKeys of 40,000 stored ids returns all of them',
    async ({ storage, session }) => {
      const s = await session()
      const keys: Record<string, Uint8Array> = {}
      for (let i = 0; i < 40_000; i++) keys[`device-${i}`] = bytes(24, i)
      await storage.auth.commit(s.id, { keys: { 'device-list': keys } })
      const found = await storage.auth.getKeys(s.id, 'device-list', Object.keys(keys))
      expect(found.size).toBe(40_000)
      expect(Object.keys(keys).filter((id) => hex(found.get(id)) !== hex(keys[id])).slice(0, 5)).toEqual([])
    },
    { slow: true },
  )
}
