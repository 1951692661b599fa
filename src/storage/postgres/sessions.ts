import { decodeCursor, encodeCursor, listStatuses, normalizeListLimit } from '../records.js'
import { sessionIdTaken, sessionNameTaken, sessionNotFound, versionConflict } from '../contract-errors.js'
import { SESSION_FIELDS, sessionFromRow, sessionInsertValues, sessionPatchAssignments, type SessionRow } from '../sql/session-columns.js'
import type { NewSessionRecord, SessionListQuery, SessionRecord, SessionRepository } from '../types.js'
import { msOf, NOW_TS, pgConstraint, pgErrorCode, tsOf, UNIQUE_VIOLATION, type PgContext } from './context.js'

const COLUMNS = [...SESSION_FIELDS.map((f) => f.column), `${msOf('created_at')} AS created_ms`, `${msOf('updated_at')} AS updated_ms`, 'version'].join(', ')

/** Unique violations carry the constraint name: the primary key means the id, the others the name. */
function conflictError(error: unknown, id: string, tenantId: string | null, name: string): unknown {
  if (pgErrorCode(error) !== UNIQUE_VIOLATION) return error
  return pgConstraint(error) === 'sessions_pkey' ? sessionIdTaken(id) : sessionNameTaken(tenantId, name)
}

export function createPgSessions(ctx: PgContext): SessionRepository {
  const { t, lifecycle, query } = ctx
  const one = (rows: SessionRow[]): SessionRecord | null => (rows[0] ? sessionFromRow(rows[0]) : null)

  const insertSql = `INSERT INTO ${t.sessions} (${SESSION_FIELDS.map((f) => f.column).join(', ')}, created_at, updated_at, version)
    VALUES (${SESSION_FIELDS.map((_, i) => `$${i + 1}`).join(', ')}, ${NOW_TS}, ${NOW_TS}, 1) RETURNING ${COLUMNS}`

  return {
    create: (input: NewSessionRecord) =>
      lifecycle.use('sessions.create', async (db) => {
        try {
          const result = await query<SessionRow>(db, insertSql, sessionInsertValues(input), 'session_create')
          return sessionFromRow(result.rows[0]!)
        } catch (error) {
          throw conflictError(error, input.id, input.tenantId, input.name)
        }
      }),

    get: (id) =>
      lifecycle.use('sessions.get', async (db) =>
        one((await query<SessionRow>(db, `SELECT ${COLUMNS} FROM ${t.sessions} WHERE id = $1`, [id], 'session_get')).rows),
      ),

    getByName: (tenantId, name) =>
      lifecycle.use('sessions.getByName', async (db) => {
        const result =
          tenantId === null
            ? await query<SessionRow>(db, `SELECT ${COLUMNS} FROM ${t.sessions} WHERE tenant_id IS NULL AND name = $1`, [name], 'session_by_name_null')
            : await query<SessionRow>(db, `SELECT ${COLUMNS} FROM ${t.sessions} WHERE tenant_id = $1 AND name = $2`, [tenantId, name], 'session_by_name')
        return one(result.rows)
      }),

    update: (id, patch, options = {}) =>
      lifecycle.use('sessions.update', async (db) => {
        const assignments = sessionPatchAssignments(patch)
        const values: unknown[] = [id, options.expectedVersion ?? null, ...assignments.map((a) => a.value)]
        const set = assignments.map((a, i) => `${a.column} = $${i + 3}`)
        // One statement: the version check and the write cannot be separated by another writer.
        const text = `UPDATE ${t.sessions} SET ${[...set, `updated_at = ${NOW_TS}`, 'version = version + 1'].join(', ')}
          WHERE id = $1 AND ($2::integer IS NULL OR version = $2::integer) RETURNING ${COLUMNS}`
        let updated: SessionRecord | null
        try {
          updated = one((await query<SessionRow>(db, text, values)).rows)
        } catch (error) {
          if (pgErrorCode(error) !== UNIQUE_VIOLATION) throw error
          // Only a rename can collide (the id never changes); report the name and tenant it would have had.
          const current = one((await query<SessionRow>(db, `SELECT ${COLUMNS} FROM ${t.sessions} WHERE id = $1`, [id], 'session_get')).rows)
          throw sessionNameTaken(patch.tenantId === undefined ? (current?.tenantId ?? null) : patch.tenantId, patch.name ?? current?.name ?? '')
        }
        if (updated) return updated
        // Nothing matched: tell "missing" from "changed by someone else".
        const current = await query<{ version: string }>(db, `SELECT version FROM ${t.sessions} WHERE id = $1`, [id], 'session_version')
        const row = current.rows[0]
        if (!row) throw sessionNotFound(id)
        throw versionConflict(id, options.expectedVersion!, Number(row.version))
      }),

    list: (query_: SessionListQuery = {}) =>
      lifecycle.use('sessions.list', async (db) => {
        const limit = normalizeListLimit(query_.limit)
        const after = query_.cursor === undefined ? undefined : decodeCursor(query_.cursor)
        const statuses = listStatuses(query_)
        const values: unknown[] = []
        const where: string[] = []
        const param = (value: unknown) => `$${values.push(value)}`
        if (query_.tenantId === null) where.push('tenant_id IS NULL')
        else if (query_.tenantId !== undefined) where.push(`tenant_id = ${param(query_.tenantId)}`)
        if (statuses) where.push(`status = ANY(${param(statuses)}::text[])`)
        if (query_.desiredState !== undefined) where.push(`desired_state = ${param(query_.desiredState)}`)
        if (after) where.push(`(created_at, id) > (${tsOf(param(after.createdAt))}, ${param(after.id)})`)
        const text = `SELECT ${COLUMNS} FROM ${t.sessions} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY created_at, id LIMIT ${param(limit + 1)}`
        const rows = (await query<SessionRow>(db, text, values)).rows
        const items = rows.slice(0, limit).map(sessionFromRow)
        const last = items.at(-1)
        return {
          items,
          nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null,
        }
      }),

    delete: (id) =>
      lifecycle.use('sessions.delete', async (db) => {
        // Every per-session table cascades from here (see migrations.ts).
        const result = await query(db, `DELETE FROM ${t.sessions} WHERE id = $1`, [id], 'session_delete')
        return (result.rowCount ?? 0) > 0
      }),
  }
}
