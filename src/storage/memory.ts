import { leaseLost, sessionIdTaken, sessionNameTaken, sessionNotFound, storageClosed, versionConflict } from './contract-errors.js'
import {
  assertBytes,
  comparePosition,
  decodeCursor,
  encodeCursor,
  listStatuses,
  normalizeListLimit,
  normalizeScanLimit,
  positionOf,
} from './records.js'
import { stageCommit } from './stage-commit.js'
import { DueQueue } from './memory-due-queue.js'
import type {
  AuthCommit,
  AuthRepository,
  Lease,
  LeaseRepository,
  MessageRepository,
  NewOutboxItem,
  NewSessionRecord,
  OutboxItem,
  OutboxRepository,
  SessionListPage,
  SessionListQuery,
  SessionPatch,
  SessionRecord,
  SessionRepository,
  StorageAdapter,
  StoredKey,
  StoredMessage,
} from './types.js'

interface ClaimedOutboxItem extends OutboxItem {
  claimedBy: string | null
  claimedUntil: number
  seq: number
}

/** The data behind memory adapters. Share one between instances to model "same database, new process". */
export interface MemoryBacking {
  readonly sessions: Map<string, SessionRecord>
  readonly names: Map<string, string>
  readonly creds: Map<string, Uint8Array>
  readonly keys: Map<string, Map<string, Map<string, Uint8Array>>>
  readonly messages: Map<string, Map<string, StoredMessage>>
  readonly outbox: Map<string, ClaimedOutboxItem>
  /** The pending outbox items: claims look at these only, not at every delivered one kept. */
  readonly outboxPending: DueQueue<ClaimedOutboxItem>
  readonly leases: Map<string, Lease>
  outboxSeq: number
}

export function createMemoryBacking(): MemoryBacking {
  return {
    sessions: new Map(),
    names: new Map(),
    creds: new Map(),
    keys: new Map(),
    messages: new Map(),
    outbox: new Map(),
    outboxPending: new DueQueue(),
    leases: new Map(),
    outboxSeq: 0,
  }
}

export interface MemoryStorageOptions {
  /**
   * Backing data. Pass the same backing to several adapters to share data between them.
   * @default a new, empty backing
   */
  backing?: MemoryBacking
}

const nameKey = (tenantId: string | null, name: string) => `${tenantId === null ? '\u0000' : `t:${tenantId}`}\u0000${name}`
const copyBytes = (bytes: Uint8Array) => new Uint8Array(bytes)
/** Code-unit order, the same as `COLLATE "C"` / SQLite BINARY for the ASCII-heavy ids Baileys uses. */
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const cloneRecord = (record: SessionRecord): SessionRecord => structuredClone(record)

/**
 * In-process storage. Fast and complete (every optional capability), lost when the process exits.
 * It is the reference implementation of the adapter contract.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  const data = options.backing ?? createMemoryBacking()
  let closed = false

  const open = (operation: string) => {
    if (closed) throw storageClosed(operation)
  }
  // Every method is async so that a closed adapter rejects instead of throwing synchronously.
  const run = async <T>(operation: string, fn: () => T): Promise<T> => {
    open(operation)
    return fn()
  }

  const requireSession = (id: string): SessionRecord => {
    const record = data.sessions.get(id)
    if (!record) throw sessionNotFound(id)
    return record
  }

  const sessions: SessionRepository = {
    create: (input: NewSessionRecord) =>
      run('sessions.create', () => {
        if (data.sessions.has(input.id)) throw sessionIdTaken(input.id)
        const key = nameKey(input.tenantId, input.name)
        if (data.names.has(key)) throw sessionNameTaken(input.tenantId, input.name)
        const now = new Date()
        const record: SessionRecord = { ...structuredClone(input), createdAt: now, updatedAt: now, version: 1 }
        data.sessions.set(record.id, record)
        data.names.set(key, record.id)
        return cloneRecord(record)
      }),

    get: (id) =>
      run('sessions.get', () => {
        const record = data.sessions.get(id)
        return record ? cloneRecord(record) : null
      }),

    getByName: (tenantId, name) =>
      run('sessions.getByName', () => {
        const id = data.names.get(nameKey(tenantId, name))
        const record = id === undefined ? undefined : data.sessions.get(id)
        return record ? cloneRecord(record) : null
      }),

    update: (id: string, patch: SessionPatch, opts: { expectedVersion?: number } = {}) =>
      run('sessions.update', () => {
        const current = requireSession(id)
        if (opts.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
          throw versionConflict(id, opts.expectedVersion, current.version)
        }
        // A key present with `undefined` changes nothing, as in the SQL adapters.
        const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
        const next: SessionRecord = {
          ...current,
          ...structuredClone(defined),
          id: current.id,
          createdAt: current.createdAt,
          updatedAt: new Date(),
          version: current.version + 1,
        }
        const oldKey = nameKey(current.tenantId, current.name)
        const newKey = nameKey(next.tenantId, next.name)
        if (oldKey !== newKey) {
          if (data.names.has(newKey)) throw sessionNameTaken(next.tenantId, next.name)
          data.names.delete(oldKey)
          data.names.set(newKey, id)
        }
        data.sessions.set(id, next)
        return cloneRecord(next)
      }),

    list: (query: SessionListQuery = {}) =>
      run('sessions.list', (): SessionListPage => {
        const limit = normalizeListLimit(query.limit)
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
        const statuses = listStatuses(query)
        const rows = [...data.sessions.values()]
          .filter(
            (r) =>
              (query.tenantId === undefined || r.tenantId === query.tenantId) &&
              (statuses === undefined || statuses.includes(r.status)) &&
              (query.desiredState === undefined || r.desiredState === query.desiredState) &&
              (after === undefined || comparePosition(positionOf(r), after) > 0),
          )
          .sort((a, b) => comparePosition(positionOf(a), positionOf(b)))
        const items = rows.slice(0, limit).map(cloneRecord)
        const last = items.at(-1)
        return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null }
      }),

    delete: (id) =>
      run('sessions.delete', () => {
        const record = data.sessions.get(id)
        if (!record) return false
        data.sessions.delete(id)
        data.names.delete(nameKey(record.tenantId, record.name))
        data.creds.delete(id)
        data.keys.delete(id)
        data.messages.delete(id)
        data.leases.delete(id)
        for (const [itemId, item] of data.outbox) {
          if (item.sessionId !== id) continue
          data.outbox.delete(itemId)
          data.outboxPending.delete(itemId)
        }
        return true
      }),
  }

  const auth: AuthRepository = {
    readCreds: (sessionId) =>
      run('auth.readCreds', () => {
        const creds = data.creds.get(sessionId)
        return creds ? copyBytes(creds) : null
      }),

    getKeys: (sessionId, category, ids) =>
      run('auth.getKeys', () => {
        const found = new Map<string, Uint8Array>()
        const byId = data.keys.get(sessionId)?.get(category)
        if (!byId) return found
        for (const id of ids) {
          const value = byId.get(id)
          if (value) found.set(id, copyBytes(value))
        }
        return found
      }),

    commit: (sessionId, change: AuthCommit) =>
      run('auth.commit', () => {
        requireSession(sessionId)
        if (change.fencingToken !== undefined) assertLease(sessionId, change.fencingToken)
        // Validates the whole batch before touching stored state, so a bad value applies nothing.
        const staged = stageCommit(change)
        let categories = data.keys.get(sessionId)
        if (!categories) data.keys.set(sessionId, (categories = new Map()))
        const { categories: upsertCategories, ids, values } = staged.upserts
        for (let i = 0; i < ids.length; i++) {
          let byId = categories.get(upsertCategories[i]!)
          if (!byId) categories.set(upsertCategories[i]!, (byId = new Map()))
          byId.set(ids[i]!, copyBytes(values[i]!))
        }
        for (const [category, deleted] of staged.deletes) {
          const byId = categories.get(category)
          for (const id of deleted) byId?.delete(id)
        }
        if (staged.creds !== undefined) data.creds.set(sessionId, copyBytes(staged.creds))
      }),

    clear: (sessionId) =>
      run('auth.clear', () => {
        data.creds.delete(sessionId)
        data.keys.delete(sessionId)
      }),

    scanKeys: (sessionId, scan = {}) =>
      run('auth.scanKeys', () => {
        const limit = normalizeScanLimit(scan.limit)
        const rows: StoredKey[] = []
        const categories = [...(data.keys.get(sessionId)?.entries() ?? [])].sort(([a], [b]) => compareStrings(a, b))
        for (const [category, byId] of categories) {
          if (scan.after && compareStrings(category, scan.after.category) < 0) continue
          for (const id of [...byId.keys()].sort(compareStrings)) {
            if (scan.after && compareStrings(category, scan.after.category) === 0 && compareStrings(id, scan.after.id) <= 0) continue
            rows.push({ category, id, value: copyBytes(byId.get(id)!) })
            if (rows.length >= limit) return rows
          }
        }
        return rows
      }),
  }

  const messages: MessageRepository = {
    put: (sessionId, items, limit) =>
      run('messages.put', () => {
        requireSession(sessionId)
        let stored = data.messages.get(sessionId)
        if (!stored) data.messages.set(sessionId, (stored = new Map()))
        for (const item of items) {
          assertBytes(item.message, `message ${item.id}`)
          stored.delete(item.id) // re-insert so Map order stays oldest-first
          stored.set(item.id, { ...item, message: copyBytes(item.message) })
        }
        for (const id of stored.keys()) {
          if (stored.size <= limit) break
          stored.delete(id)
        }
      }),
    get: (sessionId, messageId) =>
      run('messages.get', () => {
        const item = data.messages.get(sessionId)?.get(messageId)
        return item ? { ...item, message: copyBytes(item.message) } : null
      }),
  }

  const publicItem = ({ claimedBy: _c, claimedUntil: _u, seq: _s, ...item }: ClaimedOutboxItem): OutboxItem => ({
    ...item,
    payload: copyBytes(item.payload),
  })

  const claimedItem = (id: string, workerId: string): ClaimedOutboxItem | undefined => {
    const item = data.outbox.get(id)
    return item && item.claimedBy === workerId && item.status === 'pending' ? item : undefined
  }

  const ackItem = (id: string, workerId: string, attempts = 1): void => {
    const item = claimedItem(id, workerId)
    if (!item) return
    item.status = 'delivered'
    data.outboxPending.delete(id)
    item.attempts += attempts
    item.claimedBy = null
    item.lastError = null
    item.updatedAt = Date.now()
  }

  /** Inserts the items whose id is new, claimed by `claimedBy` when given; returns their ids. */
  const insertItems = (items: NewOutboxItem[], claimedBy: string | null, visibilityMs: number): string[] => {
    const now = Date.now()
    for (const item of items) assertBytes(item.payload, `outbox ${item.id}`)
    for (const item of items) {
      if (item.sessionId !== null) requireSession(item.sessionId)
    }
    const inserted: string[] = []
    for (const item of items) {
      if (data.outbox.has(item.id)) continue
      const stored: ClaimedOutboxItem = {
        id: item.id,
        sessionId: item.sessionId,
        target: item.target,
        event: item.event,
        payload: copyBytes(item.payload),
        status: 'pending',
        attempts: 0,
        lastError: null,
        availableAt: item.availableAt ?? now,
        createdAt: now,
        updatedAt: now,
        claimedBy,
        claimedUntil: claimedBy === null ? 0 : now + visibilityMs,
        seq: ++data.outboxSeq,
      }
      data.outbox.set(item.id, stored)
      data.outboxPending.add(stored)
      inserted.push(item.id)
    }
    return inserted
  }

  const outbox: OutboxRepository = {
    enqueue: (items: NewOutboxItem[]) => run('outbox.enqueue', () => void insertItems(items, null, 0)),

    enqueueClaimed: (items, workerId, visibilityMs) => run('outbox.enqueueClaimed', () => insertItems(items, workerId, visibilityMs)),

    claim: (workerId, limit, visibilityMs) =>
      run('outbox.claim', () => {
        const now = Date.now()
        const due = data.outboxPending.due(now, limit, (i) => i.claimedBy === null || i.claimedUntil <= now)
        for (const item of due) {
          item.claimedBy = workerId
          item.claimedUntil = now + visibilityMs
        }
        return due.map(publicItem)
      }),

    ack: (id, workerId, attempts) => run('outbox.ack', () => ackItem(id, workerId, attempts)),

    ackMany: (ids, workerId) =>
      run('outbox.ackMany', () => {
        for (const id of ids) ackItem(id, workerId)
      }),

    fail: (id, workerId, error, retryAt, attempts = 1) =>
      run('outbox.fail', () => {
        const item = claimedItem(id, workerId)
        if (!item) return
        item.attempts += attempts
        item.lastError = error
        item.claimedBy = null
        item.updatedAt = Date.now()
        data.outboxPending.delete(id)
        if (retryAt === null) item.status = 'dead'
        else {
          item.availableAt = retryAt
          data.outboxPending.add(item)
        }
      }),

    list: (query = {}) =>
      run('outbox.list', () =>
        [...data.outbox.values()]
          .filter(
            (i) =>
              (query.sessionId === undefined || i.sessionId === query.sessionId) &&
              (query.status === undefined || i.status === query.status) &&
              (query.target === undefined || i.target === query.target),
          )
          .sort((a, b) => a.seq - b.seq)
          .slice(0, query.limit ?? 1000)
          .map(publicItem),
      ),

    redrive: (ids) =>
      run('outbox.redrive', () => {
        let moved = 0
        const now = Date.now()
        for (const id of ids) {
          const item = data.outbox.get(id)
          if (!item || item.status !== 'dead') continue
          Object.assign(item, { status: 'pending', attempts: 0, availableAt: now, claimedBy: null, updatedAt: now })
          data.outboxPending.add(item)
          moved++
        }
        return moved
      }),

    purge: (olderThan) =>
      run('outbox.purge', () => {
        let removed = 0
        for (const [id, item] of data.outbox) {
          if (item.status === 'delivered' && item.updatedAt < olderThan) {
            data.outbox.delete(id)
            removed++
          }
        }
        return removed
      }),
  }

  function assertLease(sessionId: string, token: bigint) {
    const lease = data.leases.get(sessionId)
    if (!lease || lease.token !== token || lease.expiresAt <= Date.now()) throw leaseLost(sessionId)
  }

  const leases: LeaseRepository = {
    acquire: (sessionId, ownerId, ttlMs) =>
      run('leases.acquire', () => {
        requireSession(sessionId)
        const now = Date.now()
        const current = data.leases.get(sessionId)
        if (current && current.ownerId !== ownerId && current.expiresAt > now) return null
        // The token only grows, so a former owner's writes are fenced off even after it re-acquires.
        const lease: Lease = { ownerId, token: (current?.token ?? 0n) + 1n, expiresAt: now + ttlMs }
        data.leases.set(sessionId, lease)
        return { ...lease }
      }),
    renew: (sessionId, ownerId, token, ttlMs) =>
      run('leases.renew', () => {
        const current = data.leases.get(sessionId)
        const now = Date.now()
        if (!current || current.ownerId !== ownerId || current.token !== token || current.expiresAt <= now) return false
        current.expiresAt = now + ttlMs
        return true
      }),
    release: (sessionId, ownerId, token) =>
      run('leases.release', () => {
        const current = data.leases.get(sessionId)
        if (current && current.ownerId === ownerId && current.token === token) current.expiresAt = 0
      }),
    owner: (sessionId) =>
      run('leases.owner', () => {
        const current = data.leases.get(sessionId)
        return current && current.expiresAt > Date.now() ? { ...current } : null
      }),
  }

  return {
    kind: 'memory',
    interfaceVersion: 1,
    init: () => run('init', () => undefined),
    close: async () => {
      closed = true
    },
    ping: () => run('ping', () => undefined),
    sessions,
    auth,
    messages,
    outbox,
    leases,
  }
}
