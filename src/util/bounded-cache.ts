import type { CacheStore } from '@whiskeysockets/baileys'

/**
 * A small LRU with a TTL, implementing Baileys' `CacheStore`. Used for caches that must outlive a
 * socket (the message-retry counter) without the timers of NodeCache, so idle sessions cost nothing.
 */
export function createBoundedCache(maxEntries: number, ttlMs: number): CacheStore {
  const entries = new Map<string, { value: unknown; expiresAt: number }>()
  return {
    get<T>(key: string): T | undefined {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= Date.now()) {
        entries.delete(key)
        return undefined
      }
      entries.delete(key)
      entries.set(key, entry)
      return entry.value as T
    },
    set<T>(key: string, value: T) {
      entries.delete(key)
      entries.set(key, { value, expiresAt: Date.now() + ttlMs })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
    del(key: string) {
      entries.delete(key)
    },
    flushAll() {
      entries.clear()
    },
  }
}
