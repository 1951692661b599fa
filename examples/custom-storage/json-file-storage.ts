/**
 * A complete custom storage adapter in one file: everything lives in one JSON file, rewritten
 * atomically (temp file + rename) by every write. It passes wafleet's conformance suite (see
 * json-file-storage.test.ts next to it) and is a template for your own adapter.
 *
 * It is deliberately simple: fine for a bot with a few sessions, not for many sessions or for several
 * processes on one file (every write rewrites the whole file, and there is no cross-process lock).
 * It implements the required part of the contract only; `messages`, `outbox` and `leases` are optional
 * capabilities and the suite skips them when they are absent.
 *
 * In your project import from 'wafleet' instead of the relative paths below.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import {
  SessionError,
  StorageError,
  ValidationError,
  type AuthRepository,
  type SessionListQuery,
  type SessionRecord,
  type SessionRepository,
  type StorageAdapter,
} from '../../src/index.js'

/** What the file holds. Bytes are base64; dates are ISO strings. */
interface FileData {
  sessions: Record<string, Omit<SessionRecord, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }>
  creds: Record<string, string>
  /** sessionId -> category -> key id -> base64 value */
  keys: Record<string, Record<string, Record<string, string>>>
}

const empty = (): FileData => ({ sessions: {}, creds: {}, keys: {} })
const toRecord = (stored: FileData['sessions'][string]): SessionRecord => ({
  ...structuredClone(stored),
  createdAt: new Date(stored.createdAt),
  updatedAt: new Date(stored.updatedAt),
})
const notFound = (id: string) => new SessionError('SESSION_NOT_FOUND', `Session ${id} not found`, { details: { sessionId: id } })
const nameTaken = (tenantId: string | null, name: string) =>
  new SessionError('SESSION_NAME_TAKEN', `A session named "${name}" already exists`, { details: { tenantId, name } })
const sameName = (a: { tenantId: string | null; name: string }, b: { tenantId: string | null; name: string }) => a.tenantId === b.tenantId && a.name === b.name
const byPosition = (a: SessionRecord, b: SessionRecord) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

export function createJsonFileStorage(path: string): StorageAdapter {
  let closed = false

  // Everything below is synchronous between `open()` and the return: Node runs one of these at a time,
  // so each operation sees and writes a consistent file, even with several instances on one path.
  const open = (operation: string) => {
    if (closed) throw new StorageError('STORAGE_CLOSED', `Storage is closed (${operation})`)
  }
  const load = (): FileData => {
    if (!existsSync(path)) return empty()
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as FileData
    } catch (error) {
      // A corrupt file is an error, never an empty store (that would mean re-pairing every session).
      throw new StorageError('STORAGE_ERROR', `Cannot read ${path}: ${(error as Error).message}`, { cause: error })
    }
  }
  /** Applies `change` to a fresh copy and replaces the file atomically: all of it lands, or none. */
  const write = <T>(operation: string, change: (data: FileData) => T): Promise<T> =>
    run(operation, () => {
      const data = load()
      const result = change(data)
      const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
      writeFileSync(temp, JSON.stringify(data))
      renameSync(temp, path)
      return result
    })
  const read = <T>(operation: string, fn: (data: FileData) => T): Promise<T> => run(operation, () => fn(load()))
  // Async wrappers so failures (including "closed") reject instead of throwing synchronously.
  const run = async <T>(operation: string, fn: () => T): Promise<T> => {
    open(operation)
    return fn()
  }

  const sessions: SessionRepository = {
    create: (input) =>
      write('sessions.create', (data) => {
        if (data.sessions[input.id]) throw new StorageError('STORAGE_CONFLICT', `Session id ${input.id} already exists`)
        if (Object.values(data.sessions).some((s) => sameName(s, input))) throw nameTaken(input.tenantId, input.name)
        const now = new Date().toISOString()
        data.sessions[input.id] = { ...structuredClone(input), createdAt: now, updatedAt: now, version: 1 }
        return toRecord(data.sessions[input.id]!)
      }),
    get: (id) => read('sessions.get', (data) => (data.sessions[id] ? toRecord(data.sessions[id]) : null)),
    getByName: (tenantId, name) =>
      read('sessions.getByName', (data) => {
        const found = Object.values(data.sessions).find((s) => sameName(s, { tenantId, name }))
        return found ? toRecord(found) : null
      }),
    update: (id, patch, options = {}) =>
      write('sessions.update', (data) => {
        const current = data.sessions[id]
        if (!current) throw notFound(id)
        if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
          throw new StorageError('VERSION_CONFLICT', `Session ${id} was changed concurrently`, {
            details: { sessionId: id, expectedVersion: options.expectedVersion, actualVersion: current.version },
          })
        }
        const defined = Object.fromEntries(Object.entries(patch).filter(([key, value]) => value !== undefined && key !== 'id'))
        const next = { ...current, ...structuredClone(defined), updatedAt: new Date().toISOString(), version: current.version + 1 }
        if (!sameName(next, current) && Object.values(data.sessions).some((s) => s.id !== id && sameName(s, next))) throw nameTaken(next.tenantId, next.name)
        data.sessions[id] = next
        return toRecord(next)
      }),
    list: (query: SessionListQuery = {}) =>
      read('sessions.list', (data) => {
        const limit = query.limit ?? 100
        if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('VALIDATION_ERROR', 'limit must be a positive integer')
        let after: SessionRecord | undefined
        if (query.cursor !== undefined) {
          try {
            const [createdAt, id] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as [number, string]
            after = { createdAt: new Date(createdAt), id } as SessionRecord
          } catch (error) {
            throw new ValidationError('VALIDATION_ERROR', 'Invalid list cursor', { cause: error })
          }
        }
        const statuses = query.status === undefined ? undefined : ([] as string[]).concat(query.status)
        const rows = Object.values(data.sessions)
          .map(toRecord)
          .filter(
            (s) =>
              (query.tenantId === undefined || s.tenantId === query.tenantId) &&
              (!statuses || statuses.includes(s.status)) &&
              (query.desiredState === undefined || s.desiredState === query.desiredState) &&
              (!after || byPosition(s, after) > 0),
          )
          .sort(byPosition)
        const items = rows.slice(0, limit)
        const last = items.at(-1)
        const nextCursor = rows.length > limit && last ? Buffer.from(JSON.stringify([last.createdAt.getTime(), last.id])).toString('base64url') : null
        return { items, nextCursor }
      }),
    delete: (id) =>
      write('sessions.delete', (data) => {
        if (!data.sessions[id]) return false
        // The cascade: everything the session stored goes with it.
        delete data.sessions[id]
        delete data.creds[id]
        delete data.keys[id]
        return true
      }),
  }

  const auth: AuthRepository = {
    readCreds: (sessionId) => read('auth.readCreds', (data) => (data.creds[sessionId] ? Buffer.from(data.creds[sessionId], 'base64') : null)),
    getKeys: (sessionId, category, ids) =>
      read('auth.getKeys', (data) => {
        const stored = data.keys[sessionId]?.[category] ?? {}
        const found = new Map<string, Uint8Array>()
        for (const id of ids) if (Object.hasOwn(stored, id)) found.set(id, Buffer.from(stored[id]!, 'base64'))
        return found
      }),
    commit: (sessionId, change) =>
      write('auth.commit', (data) => {
        if (!data.sessions[sessionId]) throw notFound(sessionId)
        if (change.fencingToken !== undefined) throw new StorageError('LEASE_LOST', 'This adapter has no leases')
        // Any throw below leaves the file untouched: `write` only renames after `change` returns.
        const keys = (data.keys[sessionId] ??= {})
        for (const [category, entries] of Object.entries(change.keys ?? {})) {
          const byId = (keys[category] ??= {})
          for (const [id, value] of Object.entries(entries)) {
            if (value === null) delete byId[id]
            else if (value instanceof Uint8Array) byId[id] = Buffer.from(value).toString('base64')
            else throw new StorageError('CODEC_ERROR', `Expected bytes for ${category}/${id}`)
          }
        }
        if (change.creds !== undefined) {
          if (!(change.creds instanceof Uint8Array)) throw new StorageError('CODEC_ERROR', 'Expected bytes for creds')
          data.creds[sessionId] = Buffer.from(change.creds).toString('base64')
        }
      }),
    clear: (sessionId) =>
      write('auth.clear', (data) => {
        delete data.creds[sessionId]
        delete data.keys[sessionId]
      }),
    scanKeys: (sessionId, options = {}) =>
      read('auth.scanKeys', (data) => {
        const limit = options.limit ?? 1000
        if (!Number.isInteger(limit) || limit < 1) throw new ValidationError('VALIDATION_ERROR', 'limit must be a positive integer')
        const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
        const all = Object.entries(data.keys[sessionId] ?? {}).flatMap(([category, byId]) => Object.keys(byId).map((id) => ({ category, id })))
        return all
          .sort((a, b) => compare(a.category, b.category) || compare(a.id, b.id))
          .filter((k) => !options.after || compare(k.category, options.after.category) > 0 || (k.category === options.after.category && compare(k.id, options.after.id) > 0))
          .slice(0, limit)
          .map((k) => ({ ...k, value: Buffer.from(data.keys[sessionId]![k.category]![k.id]!, 'base64') }))
      }),
  }

  return {
    kind: 'json-file',
    interfaceVersion: 1,
    init: () => run('init', () => undefined),
    ping: () => read('ping', () => undefined),
    close: async () => {
      closed = true
    },
    sessions,
    auth,
  }
}
