import { normalizeScanLimit } from '../records.js'
import { chunk } from '../sql/chunk.js'
import { leaseLost, sessionNotFound } from '../contract-errors.js'
import { stageCommit, type StagedCommit } from '../stage-commit.js'
import type { AuthRepository, StoredKey } from '../types.js'
import { FOREIGN_KEY_VIOLATION, pgErrorCode, type PgContext } from './context.js'
import { packBytes, unpackSql } from './bytes-param.js'
import { keyRef } from './key-ref.js'
import type { PgPoolLike } from './pg-types.js'

/** Ids per `= ANY` read: large enough to be one round trip for any real Baileys read, bounded for 40k-id reads. */
export const PG_READ_CHUNK = 10_000
/** Concurrent multi-row upserts can still deadlock across categories; the whole statement is safe to rerun. */
const DEADLOCK_RETRIES = 3
const RETRYABLE = new Set(['40P01', '40001'])

/**
 * Builds the single statement that applies a commit. Data-modifying CTEs run in one statement, so the
 * batch is atomic without BEGIN/COMMIT round trips: one round trip whatever the batch size. Every write
 * is gated on `fence`: the session row, locked `FOR KEY SHARE`, and with a fencing token a `FOR SHARE`
 * lock on the lease row, so a takeover waits for this commit, and a commit after a takeover writes
 * nothing and reports it.
 */
function commitStatement(ctx: PgContext, staged: StagedCommit): { text: string; values: unknown[]; name: string } {
  const { t } = ctx
  const values: unknown[] = []
  const param = (value: unknown) => `$${values.push(value)}`
  const session = param(null) // $1, filled in by the caller
  const ctes: string[] = []
  const fenced = staged.fencingToken !== undefined
  // keys has no foreign key (migration 2): locking the session row stands in for the per-row check,
  // so a concurrent delete either waits for this commit (and its trigger removes these keys) or
  // wins, and then this commit writes nothing.
  const sessionLocked = `EXISTS (SELECT 1 FROM ${t.sessions} WHERE id = ${session} FOR KEY SHARE)`
  const leaseHeld = fenced
    ? `EXISTS (SELECT 1 FROM ${t.leases} WHERE session_id = ${session} AND token = ${param(staged.fencingToken!.toString())}::bigint AND expires_at > now() FOR SHARE)`
    : 'true'
  ctes.push(`fence AS (SELECT ${sessionLocked} AS session_ok, ${leaseHeld} AS lease_ok)`)
  const gate = '(SELECT session_ok AND lease_ok FROM fence)'
  const hasUpserts = staged.upserts.ids.length > 0
  if (hasUpserts) {
    const { categories, ids, values: bytes } = staged.upserts
    const packed = packBytes(bytes)
    const refs = packBytes(ids.map(keyRef))
    const blob = param(packed.blob)
    const refBlob = param(refs.blob)
    ctes.push(`up AS (INSERT INTO ${t.keys} (session_id, category, key_id, key_ref, value)
      SELECT ${session}, u.category, u.key_id, ${unpackSql(refBlob, 'u.ro', 'u.rl')}, ${unpackSql(blob, 'u.o', 'u.l')}
      FROM unnest(${param(categories)}::text[], ${param(ids)}::text[], ${param(refs.offsets)}::integer[], ${param(refs.lengths)}::integer[],
        ${param(packed.offsets)}::integer[], ${param(packed.lengths)}::integer[]) AS u(category, key_id, ro, rl, o, l)
      WHERE ${gate}
      ON CONFLICT (session_id, category, key_ref) DO UPDATE SET value = excluded.value)`)
  }
  let d = 0
  for (const [category, ids] of staged.deletes) {
    ctes.push(`d${d++} AS (DELETE FROM ${t.keys} WHERE session_id = ${session} AND category = ${param(category)} AND key_ref = ANY(${param(ids.map(keyRef))}::bytea[]) AND ${gate})`)
  }
  if (staged.creds !== undefined) {
    ctes.push(`cr AS (INSERT INTO ${t.creds} (session_id, value, updated_at) SELECT ${session}, ${param(staged.creds)}::bytea, now() WHERE ${gate}
      ON CONFLICT (session_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at)`)
  }
  const text = `WITH ${ctes.join(',\n')}
    SELECT session_ok AS session_exists, lease_ok AS fence_ok FROM fence`
  // The text only varies with these, so a handful of prepared statements cover every batch.
  const name = `commit_f${fenced ? 1 : 0}_u${hasUpserts ? 1 : 0}_d${d}_c${staged.creds === undefined ? 0 : 1}`
  return { text, values, name }
}

export function createPgAuth(ctx: PgContext): AuthRepository {
  const { t, lifecycle, query } = ctx

  const runCommit = async (db: PgPoolLike, sessionId: string, staged: StagedCommit) => {
    const statement = commitStatement(ctx, staged)
    statement.values[0] = sessionId
    for (let attempt = 1; ; attempt++) {
      try {
        const row = (await query<{ fence_ok: string; session_exists: string }>(db, statement.text, statement.values, statement.name)).rows[0]!
        // Checked after the fact: when either is false the gated writes above did nothing.
        if (row.session_exists !== 't') throw sessionNotFound(sessionId)
        if (row.fence_ok !== 't') throw leaseLost(sessionId)
        return
      } catch (error) {
        if (pgErrorCode(error) === FOREIGN_KEY_VIOLATION) throw sessionNotFound(sessionId)
        if (attempt < DEADLOCK_RETRIES && RETRYABLE.has(pgErrorCode(error) ?? '')) continue
        throw error
      }
    }
  }

  return {
    readCreds: (sessionId) =>
      lifecycle.use('auth.readCreds', async (db) => {
        const result = await query<{ value: Buffer }>(db, `SELECT value FROM ${t.creds} WHERE session_id = $1`, [sessionId], 'creds_read')
        return result.rows[0]?.value ?? null
      }),

    getKeys: (sessionId, category, ids) =>
      lifecycle.use('auth.getKeys', async (db) => {
        const found = new Map<string, Uint8Array>()
        for (const part of chunk([...new Set(ids)], PG_READ_CHUNK)) {
          const result = await query<{ key_id: string; value: Buffer }>(
            db,
            `SELECT key_id, value FROM ${t.keys} WHERE session_id = $1 AND category = $2 AND key_ref = ANY($3::bytea[])`,
            [sessionId, category, part.map(keyRef)],
            // Not prepared: a generic plan cannot see the array's size and reads 800 ids about 3x slower.
          )
          for (const row of result.rows) found.set(row.key_id, row.value)
        }
        return found
      }),

    commit: (sessionId, change) =>
      lifecycle.use('auth.commit', async (db) => {
        await runCommit(db, sessionId, stageCommit(change))
      }),

    clear: (sessionId) =>
      lifecycle.use('auth.clear', async (db) => {
        await query(db, `WITH c AS (DELETE FROM ${t.creds} WHERE session_id = $1) DELETE FROM ${t.keys} WHERE session_id = $1`, [sessionId], 'auth_clear')
      }),

    scanKeys: (sessionId, options = {}) =>
      lifecycle.use('auth.scanKeys', async (db) => {
        const limit = normalizeScanLimit(options.limit)
        const result = options.after
          ? await query<{ category: string; key_id: string; value: Buffer }>(
              db,
              `SELECT category, key_id, value FROM ${t.keys} WHERE session_id = $1 AND (category, key_id) > ($2, $3) ORDER BY category, key_id LIMIT $4`,
              [sessionId, options.after.category, options.after.id, limit],
              'keys_scan_after',
            )
          : await query<{ category: string; key_id: string; value: Buffer }>(
              db,
              `SELECT category, key_id, value FROM ${t.keys} WHERE session_id = $1 ORDER BY category, key_id LIMIT $2`,
              [sessionId, limit],
              'keys_scan',
            )
        return result.rows.map((row): StoredKey => ({ category: row.category, id: row.key_id, value: row.value }))
      }),
  }
}
