import type { MessageRepository, StoredMessage } from '../storage/types.js'

/** Sent-message store for adapters without the `messages` capability: bounded per session, in process. */
export function createMemoryMessageStore(): MessageRepository {
  const bySession = new Map<string, Map<string, StoredMessage>>()
  return {
    async put(sessionId, messages, limit) {
      let stored = bySession.get(sessionId)
      if (!stored) bySession.set(sessionId, (stored = new Map()))
      for (const message of messages) {
        stored.delete(message.id)
        stored.set(message.id, message)
      }
      for (const id of stored.keys()) {
        if (stored.size <= limit) break
        stored.delete(id)
      }
    },
    async get(sessionId, messageId) {
      return bySession.get(sessionId)?.get(messageId) ?? null
    },
  }
}
