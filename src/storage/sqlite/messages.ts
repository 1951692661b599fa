import { assertBytes } from '../records.js'
import { sessionNotFound } from '../contract-errors.js'
import { latestById } from '../sql/latest-by-id.js'
import type { MessageRepository } from '../types.js'
import type { SqliteContext } from './context.js'

export function createSqliteMessages(ctx: SqliteContext): MessageRepository {
  const { t, lifecycle } = ctx
  return {
    put: (sessionId, messages, limit) =>
      lifecycle.use('messages.put', (h) => {
        const items = latestById(messages)
        for (const item of items) assertBytes(item.message, `message ${item.id}`)
        h.write(() => {
          if (!h.stmt(`SELECT 1 FROM ${t.sessions} WHERE id = ?`).get(sessionId)) throw sessionNotFound(sessionId)
          // REPLACE deletes the old row and inserts a new one: a re-put gets a new seq and becomes the newest.
          const insert = h.stmt(`INSERT OR REPLACE INTO ${t.messages} (session_id, id, remote_jid, message, timestamp_ms) VALUES (?, ?, ?, ?, ?)`)
          for (const m of items) insert.run(sessionId, m.id, m.remoteJid, m.message, Math.trunc(m.timestamp))
          h.stmt(
            `DELETE FROM ${t.messages} WHERE session_id = ?
              AND seq <= (SELECT seq FROM ${t.messages} WHERE session_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
          ).run(sessionId, sessionId, Math.max(0, Math.trunc(limit)))
        })
      }),

    get: (sessionId, messageId) =>
      lifecycle.use('messages.get', (h) => {
        const row = h.stmt(`SELECT id, remote_jid, message, timestamp_ms FROM ${t.messages} WHERE session_id = ? AND id = ?`).get(sessionId, messageId) as
          | { id: string; remote_jid: string; message: Buffer; timestamp_ms: number }
          | undefined
        return row ? { id: row.id, remoteJid: row.remote_jid, message: row.message, timestamp: row.timestamp_ms } : null
      }),
  }
}
