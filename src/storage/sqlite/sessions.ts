import { decodeCursor, encodeCursor, listStatuses, normalizeListLimit } from '../records.js'
import { sessionIdTaken, sessionNameTaken, sessionNotFound, versionConflict } from '../contract-errors.js'
import { SESSION_FIELDS, sessionFromRow, sessionInsertValues, sessionPatchAssignments, type SessionRow } from '../sql/session-columns.js'
import type { SessionListQuery, SessionRecord, SessionRepository } from '../types.js'
import type { SqliteContext, SqliteHandle } from './context.js'

const COLUMNS = [...SESSION_FIELDS.map((f) => f.column), 'created_ms', 'updated_ms', 'version'].join(', ')

export function createSqliteSessions(ctx: SqliteContext): SessionRepository {
  const { t, lifecycle } = ctx
  const selectById = `SELECT ${COLUMNS} FROM ${t.sessions} WHERE id = ?`
  const get = (h: SqliteHandle, id: string): SessionRecord | null => {
    const row = h.stmt(selectById).get(id) as SessionRow | undefined
    return row ? sessionFromRow(row) : null
  }
  const nameOwner = (h: SqliteHandle, tenantId: string | null, name: string) =>
    (tenantId === null
      ? h.stmt(`SELECT id FROM ${t.sessions} WHERE tenant_id IS NULL AND name = ?`).get(name)
      : h.stmt(`SELECT id FROM ${t.sessions} WHERE tenant_id = ? AND name = ?`).get(tenantId, name)) as { id: string } | undefined

  const insertSql = `INSERT INTO ${t.sessions} (${SESSION_FIELDS.map((f) => f.column).join(', ')}, created_ms, updated_ms, version)
    VALUES (${SESSION_FIELDS.map(() => '?').join(', ')}, ?, ?, 1)`

  return {
    create: (input) =>
      lifecycle.use('sessions.create', (h) =>
        // The checks and the insert share the write lock, so no other writer can slip in between.
        h.write(() => {
          if (h.stmt(`SELECT 1 FROM ${t.sessions} WHERE id = ?`).get(input.id)) throw sessionIdTaken(input.id)
          if (nameOwner(h, input.tenantId, input.name)) throw sessionNameTaken(input.tenantId, input.name)
          const now = Date.now()
          h.stmt(insertSql).run(...sessionInsertValues(input), now, now)
          return get(h, input.id)!
        }),
      ),

    get: (id) => lifecycle.use('sessions.get', (h) => get(h, id)),

    getByName: (tenantId, name) =>
      lifecycle.use('sessions.getByName', (h) => {
        const owner = nameOwner(h, tenantId, name)
        return owner ? get(h, owner.id) : null
      }),

    update: (id, patch, options = {}) =>
      lifecycle.use('sessions.update', (h) =>
        h.write(() => {
          const current = get(h, id)
          if (!current) throw sessionNotFound(id)
          if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
            throw versionConflict(id, options.expectedVersion, current.version)
          }
          const tenantId = patch.tenantId === undefined ? current.tenantId : patch.tenantId
          const name = patch.name ?? current.name
          if (tenantId !== current.tenantId || name !== current.name) {
            const owner = nameOwner(h, tenantId, name)
            if (owner && owner.id !== id) throw sessionNameTaken(tenantId, name)
          }
          const assignments = sessionPatchAssignments(patch)
          const set = [...assignments.map((a) => `${a.column} = ?`), 'updated_ms = ?', 'version = version + 1'].join(', ')
          h.stmt(`UPDATE ${t.sessions} SET ${set} WHERE id = ?`).run(...assignments.map((a) => a.value), Date.now(), id)
          return get(h, id)!
        }),
      ),

    list: (query: SessionListQuery = {}) =>
      lifecycle.use('sessions.list', (h) => {
        const limit = normalizeListLimit(query.limit)
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
        const statuses = listStatuses(query)
        const values: unknown[] = []
        const where: string[] = []
        const filter = (clause: string, ...params: unknown[]) => {
          where.push(clause)
          values.push(...params)
        }
        if (query.tenantId === null) filter('tenant_id IS NULL')
        else if (query.tenantId !== undefined) filter('tenant_id = ?', query.tenantId)
        if (statuses) filter(`status IN (${statuses.map(() => '?').join(', ')})`, ...statuses)
        if (query.desiredState !== undefined) filter('desired_state = ?', query.desiredState)
        if (after) filter('(created_ms, id) > (?, ?)', after.createdAt, after.id)
        const text = `SELECT ${COLUMNS} FROM ${t.sessions} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms, id LIMIT ?`
        const rows = h.stmt(text).all(...values, limit + 1) as SessionRow[]
        const items = rows.slice(0, limit).map(sessionFromRow)
        const last = items.at(-1)
        return { items, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt.getTime(), id: last.id }) : null }
      }),

    delete: (id) =>
      lifecycle.use('sessions.delete', (h) => {
        // Every per-session table cascades from here (foreign_keys is verified on at open).
        const result = h.stmt(`DELETE FROM ${t.sessions} WHERE id = ?`).run(id)
        return Number(result.changes) > 0
      }),
  }
}
