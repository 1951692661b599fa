import { sessionNotFound } from '../contract-errors.js'
import { latestById } from '../sql/latest-by-id.js'
import { assertBytes } from '../records.js'
import type { MessageRepository, StoredMessage } from '../types.js'
import { packBytes, unpackSql } from './bytes-param.js'
import { FOREIGN_KEY_VIOLATION, pgErrorCode, type PgContext } from './context.js'

interface MessageRow {
  id: string
  remote_jid: string
  message: Buffer
  timestamp_ms: string
}

export function createPgMessages(ctx: PgContext): MessageRepository {
  const { t, lifecycle, query } = ctx
  return {
    put: (sessionId, messages, limit) =>
      lifecycle.use('messages.put', async (db) => {
        const items = latestById(messages)
        for (const item of items) assertBytes(item.message, `message ${item.id}`)
        if (items.length > 0) {
          const packed = packBytes(items.map((m) => m.message))
          try {
            await query(
              db,
              `INSERT INTO ${t.messages} (session_id, id, remote_jid, message, timestamp_ms)
                SELECT $1, u.id, u.remote_jid, ${unpackSql('$4', 'u.o', 'u.l')}, u.ts
                FROM unnest($2::text[], $3::text[], $5::integer[], $6::integer[], $7::bigint[]) AS u(id, remote_jid, o, l, ts)
                ON CONFLICT (session_id, id) DO UPDATE
                SET remote_jid = excluded.remote_jid, message = excluded.message, timestamp_ms = excluded.timestamp_ms, seq = DEFAULT`,
              [sessionId, items.map((m) => m.id), items.map((m) => m.remoteJid), packed.blob, packed.offsets, packed.lengths, items.map((m) => Math.trunc(m.timestamp))],
              'messages_put',
            )
          } catch (error) {
            if (pgErrorCode(error) === FOREIGN_KEY_VIOLATION) throw sessionNotFound(sessionId)
            throw error
          }
        } else if (!(await query(db, `SELECT 1 FROM ${t.sessions} WHERE id = $1`, [sessionId], 'session_exists')).rows[0]) {
          throw sessionNotFound(sessionId)
        }
        // A separate statement so it sees the rows just written. If it fails the put rejects and the
        // caller's retry is harmless: the rows are idempotent and pruning catches up.
        await query(
          db,
          `DELETE FROM ${t.messages} WHERE session_id = $1
            AND seq <= (SELECT seq FROM ${t.messages} WHERE session_id = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)`,
          [sessionId, Math.max(0, Math.trunc(limit))],
          'messages_prune',
        )
      }),

    get: (sessionId, messageId) =>
      lifecycle.use('messages.get', async (db) => {
        const row = (
          await query<MessageRow>(
            db,
            `SELECT id, remote_jid, message, timestamp_ms FROM ${t.messages} WHERE session_id = $1 AND id = $2`,
            [sessionId, messageId],
            'messages_get',
          )
        ).rows[0]
        return row ? ({ id: row.id, remoteJid: row.remote_jid, message: row.message, timestamp: Number(row.timestamp_ms) } satisfies StoredMessage) : null
      }),
  }
}
