import { sessionNotFound } from '../contract-errors.js'
import { outboxFromRow, OUTBOX_COLUMNS, outboxListLimit, type OutboxRow } from '../sql/outbox-rows.js'
import { assertBytes } from '../records.js'
import type { NewOutboxItem, OutboxRepository } from '../types.js'
import { packBytes, unpackSql } from './bytes-param.js'
import type { PgPoolLike } from './pg-types.js'
import { ASYNC_COMMIT, FOREIGN_KEY_VIOLATION, NOW_MS, pgErrorCode, type PgContext } from './context.js'

/**
 * Durable webhook queue. Claims take rows with `FOR UPDATE SKIP LOCKED`, so concurrent workers (in one
 * process or many) never receive the same item, and never wait on each other. Claim expiry is judged
 * on the database clock; `availableAt`/`retryAt` are the caller's timestamps (ms since the epoch).
 *
 * Only pending rows are ever claimed, and every write that ends a claim clears `claimed_by`, so
 * `claimed_by = worker` alone says a row is pending and ours. Acks and fails test nothing else on
 * purpose: with `status = 'pending'` in its condition, the planner ANDs the id lookup with a scan
 * of the whole due index (a partial index on that very predicate), so each ack cost time in
 * proportion to the backlog (npm run bench:outbox).
 *
 * Claims and acks commit asynchronously (ASYNC_COMMIT): a delivery waits for no WAL flush after
 * its enqueue. If the database crashes before the WAL writer flushed them (within
 * 3 x wal_writer_delay, 600 ms by default), the rows are back to pending or to their earlier claim,
 * and are delivered again: at least once still holds. Enqueues (losing one loses an event),
 * retries and dead letters (rare, and carrying the attempt count) commit synchronously.
 */
export function createPgOutbox(ctx: PgContext): OutboxRepository {
  const { t, lifecycle, query } = ctx
  const cols = OUTBOX_COLUMNS.join(', ')
  const returning = OUTBOX_COLUMNS.map((c) => `o.${c}`).join(', ')

  const ackMany = (ids: readonly string[], workerId: string, operation: string, attempts = 1) =>
    lifecycle.use(operation, async (db) => {
      if (ids.length === 0) return
      await query(
        db,
        `UPDATE ${t.outbox} SET status = 'delivered', attempts = attempts + $3::integer, last_error = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = ${NOW_MS}
          WHERE id = ANY($1::text[]) AND claimed_by = $2 AND ${ASYNC_COMMIT}`,
        [[...ids], workerId, attempts],
        'outbox_ack',
      )
    })

  /** Inserts the items whose id is new, claimed by `claimedBy` when given; returns their ids. */
  const insertItems = async (db: PgPoolLike, items: NewOutboxItem[], claimedBy: string | null, visibilityMs: number): Promise<string[]> => {
    for (const item of items) assertBytes(item.payload, `outbox ${item.id}`)
    if (items.length === 0) return []
    const packed = packBytes(items.map((i) => i.payload))
    try {
      // DO NOTHING: enqueuing an id that exists (even twice in this batch) keeps the first one.
      const result = await query<{ id: string }>(
        db,
        `INSERT INTO ${t.outbox} (id, session_id, target, event, payload, status, attempts, available_at, created_at, updated_at, claimed_by, claimed_until)
          SELECT u.id, u.session_id, u.target, u.event, ${unpackSql('$5', 'u.o', 'u.l')}, 'pending', 0, coalesce(u.available_at, ${NOW_MS}), ${NOW_MS}, ${NOW_MS},
            $9::text, CASE WHEN $9::text IS NULL THEN NULL ELSE ${NOW_MS} + $10::bigint END
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::integer[], $7::integer[], $8::bigint[]) WITH ORDINALITY
            AS u(id, session_id, target, event, o, l, available_at, ord)
          ORDER BY u.ord
          ON CONFLICT (id) DO NOTHING${claimedBy === null ? '' : ' RETURNING id'}`,
        [
          items.map((i) => i.id),
          items.map((i) => i.sessionId),
          items.map((i) => i.target),
          items.map((i) => i.event),
          packed.blob,
          packed.offsets,
          packed.lengths,
          items.map((i) => (i.availableAt === undefined ? null : Math.trunc(i.availableAt))),
          claimedBy,
          Math.trunc(visibilityMs),
        ],
        // A plain enqueue (the path of a backlog) needs no ids back.
        claimedBy === null ? 'outbox_enqueue' : 'outbox_enqueue_claimed',
      )
      return result.rows.map((row) => row.id)
    } catch (error) {
      if (pgErrorCode(error) === FOREIGN_KEY_VIOLATION) {
        // Name the session that is missing (the batch may reference several).
        const wanted = [...new Set(items.flatMap((i) => (i.sessionId === null ? [] : [i.sessionId])))]
        const found = await query<{ id: string }>(db, `SELECT id FROM ${t.sessions} WHERE id = ANY($1::text[])`, [wanted])
        const present = new Set(found.rows.map((r) => r.id))
        throw sessionNotFound(wanted.find((id) => !present.has(id)) ?? wanted[0]!)
      }
      throw error
    }
  }

  return {
    enqueue: (items) => lifecycle.use('outbox.enqueue', async (db) => void (await insertItems(db, items, null, 0))),

    enqueueClaimed: (items, workerId, visibilityMs) => lifecycle.use('outbox.enqueueClaimed', (db) => insertItems(db, items, workerId, visibilityMs)),

    claim: (workerId, limit, visibilityMs) =>
      lifecycle.use('outbox.claim', async (db) => {
        const result = await query<OutboxRow>(
          db,
          // outbox_due (migration 4) walks the due index in order and locks what it returns.
          // The rows are then found by primary key (an array, so no join plan can fall back to a table scan).
          `UPDATE ${t.outbox} o SET claimed_by = $1, claimed_until = ${NOW_MS} + $3::bigint
            WHERE o.seq = ANY(ARRAY(SELECT ${t.outboxDue}(${NOW_MS}, $2))) AND ${ASYNC_COMMIT}
            RETURNING ${returning}`,
          [workerId, limit, Math.trunc(visibilityMs)],
          'outbox_claim',
        )
        // RETURNING has no order of its own.
        return result.rows.sort((a, b) => Number(a.available_at) - Number(b.available_at) || Number(a.seq) - Number(b.seq)).map(outboxFromRow)
      }),

    ack: (id, workerId, attempts) => ackMany([id], workerId, 'outbox.ack', attempts),

    // One statement for a whole batch of deliveries: the worker acks what finished in one event-loop turn.
    ackMany: (ids, workerId) => ackMany(ids, workerId, 'outbox.ackMany'),

    fail: (id, workerId, error, retryAt, attempts = 1) =>
      lifecycle.use('outbox.fail', async (db) => {
        await query(
          db,
          `UPDATE ${t.outbox} SET attempts = attempts + $5::integer, last_error = $3, claimed_by = NULL, claimed_until = NULL, updated_at = ${NOW_MS},
              status = CASE WHEN $4::bigint IS NULL THEN 'dead' ELSE status END,
              available_at = coalesce($4::bigint, available_at)
            WHERE id = $1 AND claimed_by = $2`,
          [id, workerId, error, retryAt === null ? null : Math.trunc(retryAt), attempts],
          'outbox_fail',
        )
      }),

    list: (filter = {}) =>
      lifecycle.use('outbox.list', async (db) => {
        const values: unknown[] = []
        const where: string[] = []
        const param = (value: unknown) => `$${values.push(value)}`
        if (filter.sessionId !== undefined) where.push(`session_id = ${param(filter.sessionId)}`)
        if (filter.status !== undefined) where.push(`status = ${param(filter.status)}`)
        if (filter.target !== undefined) where.push(`target = ${param(filter.target)}`)
        const text = `SELECT ${cols} FROM ${t.outbox} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ${param(outboxListLimit(filter.limit))}`
        return (await query<OutboxRow>(db, text, values)).rows.map(outboxFromRow)
      }),

    redrive: (ids) =>
      lifecycle.use('outbox.redrive', async (db) => {
        const result = await query(
          db,
          `UPDATE ${t.outbox} SET status = 'pending', attempts = 0, available_at = ${NOW_MS}, claimed_by = NULL, claimed_until = NULL, updated_at = ${NOW_MS}
            WHERE id = ANY($1::text[]) AND status = 'dead'`,
          [[...ids]],
          'outbox_redrive',
        )
        return result.rowCount ?? 0
      }),

    purge: (olderThan) =>
      lifecycle.use('outbox.purge', async (db) => {
        const result = await query(db, `DELETE FROM ${t.outbox} WHERE status = 'delivered' AND updated_at < $1`, [Math.trunc(olderThan)], 'outbox_purge')
        return result.rowCount ?? 0
      }),
  }
}
