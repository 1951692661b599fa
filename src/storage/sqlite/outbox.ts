import { assertBytes } from '../records.js'
import { sessionNotFound } from '../contract-errors.js'
import { outboxFromRow, OUTBOX_COLUMNS, outboxListLimit, type OutboxRow } from '../sql/outbox-rows.js'
import type { NewOutboxItem, OutboxRepository } from '../types.js'
import type { SqliteContext, SqliteHandle } from './context.js'

/**
 * Durable webhook queue. A claim selects and marks rows inside one write transaction; SQLite has one
 * writer at a time, so two workers (or processes) can never claim the same row.
 */
export function createSqliteOutbox(ctx: SqliteContext): OutboxRepository {
  const { t, lifecycle } = ctx
  const cols = OUTBOX_COLUMNS.join(', ')
  const ackIn = (h: SqliteHandle, ids: readonly string[], workerId: string, attempts = 1) => {
    const ack = h.stmt(
      `UPDATE ${t.outbox} SET status = 'delivered', attempts = attempts + ?, last_error = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = ?
        WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
    )
    const now = Date.now()
    for (const id of ids) ack.run(attempts, now, id, workerId)
  }
  /** Inserts the items whose id is new, claimed by `claimedBy` when given; returns their ids. */
  const insertItems = (h: SqliteHandle, items: NewOutboxItem[], claimedBy: string | null, visibilityMs: number): string[] => {
    for (const item of items) assertBytes(item.payload, `outbox ${item.id}`)
    const now = Date.now()
    const claimedUntil = claimedBy === null ? null : now + Math.trunc(visibilityMs)
    return h.write(() => {
      const exists = h.stmt(`SELECT 1 FROM ${t.sessions} WHERE id = ?`)
      for (const item of items) if (item.sessionId !== null && !exists.get(item.sessionId)) throw sessionNotFound(item.sessionId)
      // OR IGNORE: enqueuing an id that exists (even twice in this batch) keeps the first one.
      const insert = h.stmt(
        `INSERT OR IGNORE INTO ${t.outbox} (id, session_id, target, event, payload, status, attempts, available_at, created_at, updated_at, claimed_by, claimed_until)
          VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
      )
      const inserted: string[] = []
      for (const i of items) {
        const result = insert.run(i.id, i.sessionId, i.target, i.event, i.payload, Math.trunc(i.availableAt ?? now), now, now, claimedBy, claimedUntil)
        if (Number(result.changes) > 0) inserted.push(i.id)
      }
      return inserted
    })
  }

  return {
    enqueue: (items) => lifecycle.use('outbox.enqueue', (h) => void insertItems(h, items, null, 0)),

    enqueueClaimed: (items, workerId, visibilityMs) => lifecycle.use('outbox.enqueueClaimed', (h) => insertItems(h, items, workerId, visibilityMs)),

    claim: (workerId, limit, visibilityMs) =>
      lifecycle.use('outbox.claim', (h) =>
        h.write(() => {
          const now = Date.now()
          const due = h
            .stmt(
              `SELECT ${cols} FROM ${t.outbox}
                WHERE status = 'pending' AND available_at <= ? AND (claimed_by IS NULL OR claimed_until <= ?)
                ORDER BY available_at, seq LIMIT ?`,
            )
            .all(now, now, limit) as OutboxRow[]
          const mark = h.stmt(`UPDATE ${t.outbox} SET claimed_by = ?, claimed_until = ? WHERE seq = ?`)
          for (const row of due) mark.run(workerId, now + Math.trunc(visibilityMs), row.seq)
          return due.map(outboxFromRow)
        }),
      ),

    ack: (id, workerId, attempts) => lifecycle.use('outbox.ack', (h) => ackIn(h, [id], workerId, attempts)),

    // One transaction for a whole batch of deliveries: the worker acks what finished in one event-loop turn.
    ackMany: (ids, workerId) => lifecycle.use('outbox.ackMany', (h) => h.write(() => ackIn(h, ids, workerId))),

    fail: (id, workerId, error, retryAt, attempts = 1) =>
      lifecycle.use('outbox.fail', (h) => {
        h.stmt(
          `UPDATE ${t.outbox} SET attempts = attempts + ?, last_error = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?,
              status = CASE WHEN ? IS NULL THEN 'dead' ELSE status END,
              available_at = coalesce(?, available_at)
            WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
        ).run(attempts, error, Date.now(), retryAt, retryAt === null ? null : Math.trunc(retryAt), id, workerId)
      }),

    list: (filter = {}) =>
      lifecycle.use('outbox.list', (h) => {
        const values: unknown[] = []
        const where: string[] = []
        for (const [column, value] of [
          ['session_id', filter.sessionId],
          ['status', filter.status],
          ['target', filter.target],
        ] as const) {
          if (value === undefined) continue
          where.push(`${column} = ?`)
          values.push(value)
        }
        const text = `SELECT ${cols} FROM ${t.outbox} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`
        return (h.stmt(text).all(...values, outboxListLimit(filter.limit)) as OutboxRow[]).map(outboxFromRow)
      }),

    redrive: (ids) =>
      lifecycle.use('outbox.redrive', (h) =>
        h.write(() => {
          const now = Date.now()
          const move = h.stmt(
            `UPDATE ${t.outbox} SET status = 'pending', attempts = 0, available_at = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?
              WHERE id = ? AND status = 'dead'`,
          )
          let moved = 0
          for (const id of new Set(ids)) moved += Number(move.run(now, now, id).changes)
          return moved
        }),
      ),

    purge: (olderThan) =>
      lifecycle.use('outbox.purge', (h) =>
        Number(h.stmt(`DELETE FROM ${t.outbox} WHERE status = 'delivered' AND updated_at < ?`).run(Math.trunc(olderThan)).changes),
      ),
  }
}
