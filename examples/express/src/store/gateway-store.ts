import type { KeyScope } from '../auth/keys.js'
import type { SqlRunner } from './sql.js'

export interface Tenant {
  id: string
  name: string
  createdAt: string
}

/** An API key as stored: only the hash of its secret. */
export interface StoredKey {
  id: string
  scope: KeyScope
  tenantId: string | null
  sessionId: string | null
  hash: string
  createdAt: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/**
 * The gateway's own data, next to wafleet's tables in the same database: tenants and the hashes of
 * API keys (admin, tenant, session tokens). Deleting a tenant deletes its keys (foreign key).
 */
export interface GatewayStore {
  init(): Promise<void>
  /** False when the id exists. */
  createTenant(tenant: Tenant): Promise<boolean>
  getTenant(id: string): Promise<Tenant | null>
  listTenants(query: { limit: number; cursor?: string | undefined }): Promise<Page<Tenant>>
  deleteTenant(id: string): Promise<boolean>
  putKey(key: StoredKey): Promise<void>
  getKey(id: string): Promise<StoredKey | null>
  listKeys(filter: { scope: KeyScope; tenantId?: string; sessionId?: string }): Promise<StoredKey[]>
  deleteKey(id: string): Promise<boolean>
  /** Removes every key of a session (its tokens); returns their ids. */
  deleteSessionKeys(sessionId: string): Promise<string[]>
}

export interface TableNames {
  tenants: string
  keys: string
  /** Unqualified: Postgres creates an index in its table's schema. */
  keysSessionIndex: string
  /** Statements to run first (e.g. CREATE SCHEMA). */
  prelude?: string
}

interface TenantRow {
  id: string
  name: string
  created_at: number | string
}
interface KeyRow {
  id: string
  scope: KeyScope
  tenant_id: string | null
  session_id: string | null
  hash: string
  created_at: number | string
}

// Postgres returns BIGINT as a string; SQLite as a number.
const iso = (ms: number | string) => new Date(Number(ms)).toISOString()
const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, createdAt: iso(row.created_at) })
const toKey = (row: KeyRow): StoredKey => ({
  id: row.id,
  scope: row.scope,
  tenantId: row.tenant_id,
  sessionId: row.session_id,
  hash: row.hash,
  createdAt: iso(row.created_at),
})

export function createGatewayStore(sql: SqlRunner, t: TableNames): GatewayStore {
  return {
    async init() {
      await sql.exec(`${t.prelude ?? ''}
        CREATE TABLE IF NOT EXISTS ${t.tenants} (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          created_at BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ${t.keys} (
          id TEXT PRIMARY KEY,
          scope TEXT NOT NULL CHECK (scope IN ('admin', 'tenant', 'session')),
          tenant_id TEXT REFERENCES ${t.tenants}(id) ON DELETE CASCADE,
          session_id TEXT,
          hash TEXT NOT NULL,
          created_at BIGINT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ${t.keysSessionIndex} ON ${t.keys} (session_id);`)
    },
    async createTenant(tenant) {
      const changed = await sql.run(`INSERT INTO ${t.tenants} (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`, [
        tenant.id,
        tenant.name,
        Date.parse(tenant.createdAt),
      ])
      return changed === 1
    },
    async getTenant(id) {
      const [row] = await sql.all<TenantRow>(`SELECT id, name, created_at FROM ${t.tenants} WHERE id = ?`, [id])
      return row ? toTenant(row) : null
    },
    async listTenants({ limit, cursor }) {
      const rows = await sql.all<TenantRow>(
        `SELECT id, name, created_at FROM ${t.tenants} WHERE id > ? ORDER BY id LIMIT ?`,
        [cursor ?? '', limit + 1],
      )
      const items = rows.slice(0, limit).map(toTenant)
      return { items, nextCursor: rows.length > limit ? items.at(-1)!.id : null }
    },
    async deleteTenant(id) {
      return (await sql.run(`DELETE FROM ${t.tenants} WHERE id = ?`, [id])) === 1
    },
    async putKey(key) {
      await sql.run(`INSERT INTO ${t.keys} (id, scope, tenant_id, session_id, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [
        key.id,
        key.scope,
        key.tenantId,
        key.sessionId,
        key.hash,
        Date.parse(key.createdAt),
      ])
    },
    async getKey(id) {
      const [row] = await sql.all<KeyRow>(`SELECT * FROM ${t.keys} WHERE id = ?`, [id])
      return row ? toKey(row) : null
    },
    async listKeys({ scope, tenantId, sessionId }) {
      const rows = await sql.all<KeyRow>(
        `SELECT * FROM ${t.keys} WHERE scope = ? AND (CAST(? AS TEXT) IS NULL OR tenant_id = ?) AND (CAST(? AS TEXT) IS NULL OR session_id = ?) ORDER BY created_at, id`,
        [scope, tenantId ?? null, tenantId ?? null, sessionId ?? null, sessionId ?? null],
      )
      return rows.map(toKey)
    },
    async deleteKey(id) {
      return (await sql.run(`DELETE FROM ${t.keys} WHERE id = ?`, [id])) === 1
    },
    async deleteSessionKeys(sessionId) {
      const rows = await sql.all<{ id: string }>(`SELECT id FROM ${t.keys} WHERE session_id = ?`, [sessionId])
      await sql.run(`DELETE FROM ${t.keys} WHERE session_id = ?`, [sessionId])
      return rows.map((row) => row.id)
    },
  }
}
