import { normalizeScanLimit } from '../records.js'
import { chunk } from '../sql/chunk.js'
import { leaseLost, sessionNotFound } from '../contract-errors.js'
import { stageCommit } from '../stage-commit.js'
import type { AuthRepository, StoredKey } from '../types.js'
import type { SqliteContext, SqliteHandle } from './context.js'

/**
 * Ids per `IN (...)` read. SQLite builds before 3.32 allow 999 bound parameters; 512 plus two stays under
 * that everywhere. Shorter chunks are padded to a power of two, so at most ten statements are cached.
 */
export const SQLITE_READ_CHUNK = 512

const paddedSize = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)))

export function createSqliteAuth(ctx: SqliteContext): AuthRepository {
  const { t, lifecycle } = ctx
  const upsertKey = `INSERT INTO ${t.keys} (session_id, category, key_id, value) VALUES (?, ?, ?, ?)
    ON CONFLICT (session_id, category, key_id) DO UPDATE SET value = excluded.value`
  const deleteKey = `DELETE FROM ${t.keys} WHERE session_id = ? AND category = ? AND key_id = ?`
  const upsertCreds = `INSERT INTO ${t.creds} (session_id, value, updated_ms) VALUES (?, ?, ?)
    ON CONFLICT (session_id) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`
  const sessionExists = `SELECT 1 FROM ${t.sessions} WHERE id = ?`
  const leaseHeld = `SELECT 1 FROM ${t.leases} WHERE session_id = ? AND token = ? AND expires_ms > ?`
  const selectKeys = (n: number) =>
    `SELECT key_id, value FROM ${t.keys} WHERE session_id = ? AND category = ? AND key_id IN (${Array.from({ length: n }, () => '?').join(', ')})`

  const readChunk = (h: SqliteHandle, sessionId: string, category: string, ids: string[], found: Map<string, Uint8Array>) => {
    const size = paddedSize(ids.length)
    // Padding repeats the last id: harmless in IN (...), and it keeps the statement shape cached.
    const params = ids.concat(Array.from({ length: size - ids.length }, () => ids[ids.length - 1]!))
    for (const row of h.stmt(selectKeys(size)).all(sessionId, category, ...params) as { key_id: string; value: Buffer }[]) {
      found.set(row.key_id, row.value)
    }
  }

  return {
    readCreds: (sessionId) =>
      lifecycle.use('auth.readCreds', (h) => {
        const row = h.stmt(`SELECT value FROM ${t.creds} WHERE session_id = ?`).get(sessionId) as { value: Buffer } | undefined
        return row?.value ?? null
      }),

    getKeys: (sessionId, category, ids) =>
      lifecycle.use('auth.getKeys', (h) => {
        const found = new Map<string, Uint8Array>()
        const parts = chunk([...new Set(ids)], SQLITE_READ_CHUNK)
        // Several chunks are read from one snapshot, so a concurrent commit is seen whole or not at all.
        h.read(() => {
          for (const part of parts) readChunk(h, sessionId, category, part, found)
        })
        return found
      }),

    commit: (sessionId, change) =>
      lifecycle.use('auth.commit', (h) => {
        const staged = stageCommit(change)
        const now = Date.now()
        h.write(() => {
          if (!h.stmt(sessionExists).get(sessionId)) throw sessionNotFound(sessionId)
          if (staged.fencingToken !== undefined && !h.stmt(leaseHeld).get(sessionId, staged.fencingToken, now)) throw leaseLost(sessionId)
          const upsert = h.stmt(upsertKey)
          const { categories, ids, values } = staged.upserts
          for (let i = 0; i < ids.length; i++) upsert.run(sessionId, categories[i], ids[i], values[i])
          const remove = h.stmt(deleteKey)
          for (const [category, deleted] of staged.deletes) for (const id of deleted) remove.run(sessionId, category, id)
          if (staged.creds !== undefined) h.stmt(upsertCreds).run(sessionId, staged.creds, now)
        })
      }),

    clear: (sessionId) =>
      lifecycle.use('auth.clear', (h) =>
        h.write(() => {
          h.stmt(`DELETE FROM ${t.creds} WHERE session_id = ?`).run(sessionId)
          h.stmt(`DELETE FROM ${t.keys} WHERE session_id = ?`).run(sessionId)
        }),
      ),

    scanKeys: (sessionId, options = {}) =>
      lifecycle.use('auth.scanKeys', (h) => {
        const limit = normalizeScanLimit(options.limit)
        const rows = (
          options.after
            ? h
                .stmt(`SELECT category, key_id, value FROM ${t.keys} WHERE session_id = ? AND (category, key_id) > (?, ?) ORDER BY category, key_id LIMIT ?`)
                .all(sessionId, options.after.category, options.after.id, limit)
            : h.stmt(`SELECT category, key_id, value FROM ${t.keys} WHERE session_id = ? ORDER BY category, key_id LIMIT ?`).all(sessionId, limit)
        ) as { category: string; key_id: string; value: Buffer }[]
        return rows.map((row): StoredKey => ({ category: row.category, id: row.key_id, value: row.value }))
      }),
  }
}
