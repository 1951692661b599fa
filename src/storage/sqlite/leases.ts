import { sessionNotFound } from '../contract-errors.js'
import type { Lease, LeaseRepository } from '../types.js'
import type { SqliteContext } from './context.js'

interface LeaseRow {
  owner_id: string
  token: bigint
  expires_ms: bigint
}

const leaseFromRow = (row: LeaseRow): Lease => ({ ownerId: row.owner_id, token: BigInt(row.token), expiresAt: Number(row.expires_ms) })

/**
 * Session ownership between processes sharing the file (same machine, hence one clock). The token
 * grows on every acquire and the row is kept on release, so stale owners stay fenced off.
 */
export function createSqliteLeases(ctx: SqliteContext): LeaseRepository {
  const { t, lifecycle } = ctx
  const current = `SELECT owner_id, token, expires_ms FROM ${t.leases} WHERE session_id = ?`
  return {
    acquire: (sessionId, ownerId, ttlMs) =>
      lifecycle.use('leases.acquire', (h) =>
        h.write(() => {
          if (!h.stmt(`SELECT 1 FROM ${t.sessions} WHERE id = ?`).get(sessionId)) throw sessionNotFound(sessionId)
          const now = Date.now()
          const held = h.stmt(current).safeIntegers(true).get(sessionId) as LeaseRow | undefined
          if (held && held.owner_id !== ownerId && Number(held.expires_ms) > now) return null
          const lease: Lease = { ownerId, token: (held ? BigInt(held.token) : 0n) + 1n, expiresAt: now + Math.max(0, Math.trunc(ttlMs)) }
          h.stmt(
            `INSERT INTO ${t.leases} (session_id, owner_id, token, expires_ms) VALUES (?, ?, ?, ?)
              ON CONFLICT (session_id) DO UPDATE SET owner_id = excluded.owner_id, token = excluded.token, expires_ms = excluded.expires_ms`,
          ).run(sessionId, lease.ownerId, lease.token, lease.expiresAt)
          return lease
        }),
      ),

    renew: (sessionId, ownerId, token, ttlMs) =>
      lifecycle.use('leases.renew', (h) => {
        const now = Date.now()
        const result = h
          .stmt(`UPDATE ${t.leases} SET expires_ms = ? WHERE session_id = ? AND owner_id = ? AND token = ? AND expires_ms > ?`)
          .run(now + Math.max(0, Math.trunc(ttlMs)), sessionId, ownerId, token, now)
        return Number(result.changes) > 0
      }),

    release: (sessionId, ownerId, token) =>
      lifecycle.use('leases.release', (h) => {
        h.stmt(`UPDATE ${t.leases} SET expires_ms = 0 WHERE session_id = ? AND owner_id = ? AND token = ?`).run(sessionId, ownerId, token)
      }),

    owner: (sessionId) =>
      lifecycle.use('leases.owner', (h) => {
        const row = h.stmt(current).safeIntegers(true).get(sessionId) as LeaseRow | undefined
        return row && Number(row.expires_ms) > Date.now() ? leaseFromRow(row) : null
      }),
  }
}
