import type { StoredMessage } from '../../../storage/types.js'
import { bytes, codeOf, hex, type Harness } from '../harness.js'

const message = (i: number, jid = 'r@s.whatsapp.net'): StoredMessage => ({ id: `m${i}`, remoteJid: jid, message: bytes(40 + i, i), timestamp: 1_700_000_000_000 + i })

export function messageTests(h: Harness): void {
  const { it, expect } = h
  const when = { when: h.caps.messages, skipReason: 'adapter has no messages capability' }

  it(
    'messages: byte-exact round trip; missing ids and other sessions read null',
    async ({ storage, session }) => {
      const a = await session()
      const b = await session()
      await storage.messages!.put(a.id, [message(1, '120363000000000000@g.us')], 10)
      const read = await storage.messages!.get(a.id, 'm1')
      expect({ ...read!, message: hex(read!.message) }).toEqual({ ...message(1, '120363000000000000@g.us'), message: hex(message(1).message) })
      expect(await storage.messages!.get(a.id, 'm2')).toBeNull()
      expect(await storage.messages!.get(b.id, 'm1')).toBeNull()
    },
    when,
  )

  it(
    'messages: bounded per session, keeping the most recently stored',
    async ({ storage, session }) => {
      const a = await session()
      const b = await session()
      for (let i = 0; i < 25; i++) await storage.messages!.put(a.id, [message(i)], 10)
      await storage.messages!.put(b.id, [message(0)], 10)
      const present = async (id: string, range: number) =>
        (await Promise.all(Array.from({ length: range }, async (_, i) => ((await storage.messages!.get(id, `m${i}`)) ? i : -1)))).filter((i) => i >= 0)
      expect(await present(a.id, 25)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24])
      // Storing an old one again makes it the newest; the oldest other one goes.
      await storage.messages!.put(a.id, [message(15)], 10)
      await storage.messages!.put(a.id, [message(25)], 10)
      expect(await present(a.id, 26)).toEqual([15, 17, 18, 19, 20, 21, 22, 23, 24, 25])
      expect(await present(b.id, 1)).toEqual([0])
    },
    when,
  )

  it(
    'messages: a batch larger than the bound keeps its last items; duplicate ids keep the last copy',
    async ({ storage, session }) => {
      const a = await session()
      await storage.messages!.put(a.id, Array.from({ length: 30 }, (_, i) => message(i)), 10)
      for (let i = 0; i < 30; i++) expect(`m${i}: ${Boolean(await storage.messages!.get(a.id, `m${i}`))}`).toBe(`m${i}: ${i >= 20}`)
      await storage.messages!.put(a.id, [{ ...message(40), message: bytes(4, 1) }, { ...message(40), message: bytes(4, 2) }], 10)
      expect(hex((await storage.messages!.get(a.id, 'm40'))?.message)).toBe(hex(bytes(4, 2)))
    },
    when,
  )

  it(
    'messages: put to a missing session is SESSION_NOT_FOUND',
    async ({ storage }) => {
      expect(await codeOf(storage.messages!.put('no-such-session', [message(1)], 10))).toBe('SESSION_NOT_FOUND')
    },
    when,
  )
}
