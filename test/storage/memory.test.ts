import { createMemoryBacking, createMemoryStorage, type MemoryBacking } from '../../src/index.js'
import { runStorageConformance } from '../../src/testing/index.js'

// The reference implementation passes the same suite as every other adapter.
let backing: MemoryBacking = createMemoryBacking()

await runStorageConformance({
  name: 'memory',
  createStorage: () => createMemoryStorage({ backing }),
  reset: () => {
    backing = createMemoryBacking()
  },
  capabilities: { messages: true, outbox: true, leases: true },
  inspect: {
    readKey: async (sessionId, category, id) => backing.keys.get(sessionId)?.get(category)?.get(id) ?? null,
    readCreds: async (sessionId) => backing.creds.get(sessionId) ?? null,
    countSessionRows: async (sessionId) => ({
      sessions: backing.sessions.has(sessionId) ? 1 : 0,
      creds: backing.creds.has(sessionId) ? 1 : 0,
      keys: [...(backing.keys.get(sessionId)?.values() ?? [])].reduce((n, byId) => n + byId.size, 0),
      messages: backing.messages.get(sessionId)?.size ?? 0,
      outbox: [...backing.outbox.values()].filter((i) => i.sessionId === sessionId).length,
      leases: backing.leases.has(sessionId) ? 1 : 0,
    }),
  },
})
