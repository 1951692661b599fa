import { sessionNotFound } from '../contract-errors.js'
import type { Lease, LeaseRepository } from '../types.js'
import { FOREIGN_KEY_VIOLATION, msOf, pgErrorCode, type PgContext } from './context.js'

interface LeaseRow {
  owner_id: string
  token: string
  expires_ms: string
}

const leaseFromRow = (row: LeaseRow): Lease => ({ ownerId: row.owner_id, token: BigInt(row.token), expiresAt: Number(row.expires_ms) })
const ttl = (ms: number) => Math.max(0, Math.trunc(ms))

/**
 * Session ownership across processes. Expiry is judged on the database clock only, so processes with
 * skewed clocks agree on who owns what. The token grows on every acquire (never reset, release keeps
 * the row), so a former owner's writes stay fenced off even if it acquires again later.
 */
export function createPgLeases(ctx: PgContext): LeaseRepository {
  const { t, lifecycle, query } = ctx
  const expires = msOf('expires_at')
  return {
    acquire: (sessionId, ownerId, ttlMs) =>
      lifecycle.use('leases.acquire', async (db) => {
        try {
          const result = await query<LeaseRow>(
            db,
            `INSERT INTO ${t.leases} AS l (session_id, owner_id, token, expires_at)
              VALUES ($1, $2, 1, now() + $3::bigint * interval '1 millisecond')
              ON CONFLICT (session_id) DO UPDATE
                SET owner_id = excluded.owner_id, token = l.token + 1, expires_at = excluded.expires_at
                WHERE l.expires_at <= now() OR l.owner_id = excluded.owner_id
              RETURNING owner_id, token, ${expires} AS expires_ms`,
            [sessionId, ownerId, ttl(ttlMs)],
            'lease_acquire',
          )
          return result.rows[0] ? leaseFromRow(result.rows[0]) : null
        } catch (error) {
          if (pgErrorCode(error) === FOREIGN_KEY_VIOLATION) throw sessionNotFound(sessionId)
          throw error
        }
      }),

    renew: (sessionId, ownerId, token, ttlMs) =>
      lifecycle.use('leases.renew', async (db) => {
        const result = await query(
          db,
          `UPDATE ${t.leases} SET expires_at = now() + $4::bigint * interval '1 millisecond'
            WHERE session_id = $1 AND owner_id = $2 AND token = $3::bigint AND expires_at > now()`,
          [sessionId, ownerId, token.toString(), ttl(ttlMs)],
          'lease_renew',
        )
        return (result.rowCount ?? 0) > 0
      }),

    release: (sessionId, ownerId, token) =>
      lifecycle.use('leases.release', async (db) => {
        await query(
          db,
          `UPDATE ${t.leases} SET expires_at = timestamptz 'epoch' WHERE session_id = $1 AND owner_id = $2 AND token = $3::bigint`,
          [sessionId, ownerId, token.toString()],
          'lease_release',
        )
      }),

    owner: (sessionId) =>
      lifecycle.use('leases.owner', async (db) => {
        const result = await query<LeaseRow>(
          db,
          `SELECT owner_id, token, ${expires} AS expires_ms FROM ${t.leases} WHERE session_id = $1 AND expires_at > now()`,
          [sessionId],
          'lease_owner',
        )
        return result.rows[0] ? leaseFromRow(result.rows[0]) : null
      }),
  }
}
