import type { IncomingHttpHeaders } from 'node:http'
import type { GatewayStore, StoredKey } from '../store/gateway-store.js'
import { hashSecret, issueKey, parseKey, sameHash, type IssuedKey } from './keys.js'

/** Who is calling: the admin, a tenant, or the holder of one session's token. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'tenant'; tenantId: string; keyId: string }
  | { kind: 'session'; sessionId: string; tenantId: string | null; keyId: string }

export interface Authenticator {
  /** `undefined` when no key was sent, `null` when the key is wrong. */
  authenticate(headers: IncomingHttpHeaders): Promise<Principal | null | undefined>
  /** Stores a new key's hash and returns the key (shown once). */
  issue(scope: 'tenant', owner: { tenantId: string }): Promise<IssuedKey>
  issue(scope: 'session', owner: { sessionId: string; tenantId: string | null }): Promise<IssuedKey>
  revoke(keyId: string): Promise<boolean>
  revokeSession(sessionId: string): Promise<void>
  /** Deletes the tenant's keys (before the tenant itself goes). */
  revokeTenant(tenantId: string): Promise<void>
}

/** The key from `X-API-Key` or `Authorization: Bearer`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key']
  if (typeof header === 'string' && header) return header.trim()
  const authorization = headers.authorization
  if (authorization && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim() || undefined
  return undefined
}

/**
 * Verifies keys against their stored SHA-256 hashes, compared in constant time. Verified key
 * records are cached in memory: the gateway is the only writer of its keys (one gateway process per
 * database), and a revocation here drops the cached record at once.
 */
export function createAuthenticator(store: GatewayStore, options: { adminKeyHash: string | null }): Authenticator {
  const cache = new Map<string, StoredKey>()

  async function lookup(id: string): Promise<StoredKey | null> {
    const cached = cache.get(id)
    if (cached) return cached
    const stored = await store.getKey(id)
    if (stored) cache.set(id, stored)
    return stored
  }

  async function issue(scope: 'tenant' | 'session', owner: { tenantId?: string | null; sessionId?: string }): Promise<IssuedKey> {
    const issued = issueKey(scope)
    await store.putKey({
      id: issued.id,
      scope,
      tenantId: owner.tenantId ?? null,
      sessionId: owner.sessionId ?? null,
      hash: issued.hash,
      createdAt: new Date().toISOString(),
    })
    return issued
  }

  return {
    async authenticate(headers) {
      const key = presentedKey(headers)
      if (key === undefined) return undefined
      // WAFLEET_ADMIN_KEY may be any string the operator chose: compare digests of the whole key.
      if (options.adminKeyHash && sameHash(hashSecret(key), options.adminKeyHash)) return { kind: 'admin' }
      const parsed = parseKey(key)
      if (!parsed) return null
      const stored = await lookup(parsed.id)
      if (!stored || stored.scope !== parsed.scope || !sameHash(hashSecret(parsed.secret), stored.hash)) return null
      switch (stored.scope) {
        case 'admin':
          // A stored admin key only counts while no WAFLEET_ADMIN_KEY overrides it.
          return options.adminKeyHash ? null : { kind: 'admin' }
        case 'tenant':
          return stored.tenantId ? { kind: 'tenant', tenantId: stored.tenantId, keyId: stored.id } : null
        case 'session':
          return stored.sessionId ? { kind: 'session', sessionId: stored.sessionId, tenantId: stored.tenantId, keyId: stored.id } : null
      }
    },
    issue: issue as Authenticator['issue'],
    async revoke(keyId) {
      cache.delete(keyId)
      return store.deleteKey(keyId)
    },
    async revokeSession(sessionId) {
      for (const id of await store.deleteSessionKeys(sessionId)) cache.delete(id)
    },
    async revokeTenant(tenantId) {
      for (const scope of ['tenant', 'session'] as const) {
        for (const key of await store.listKeys({ scope, tenantId })) {
          cache.delete(key.id)
          await store.deleteKey(key.id)
        }
      }
    },
  }
}

/**
 * The admin key: WAFLEET_ADMIN_KEY when set (its hash kept in memory only); otherwise the stored
 * one; on the very first start a new key is generated, stored hashed and returned so the caller
 * can print it once.
 */
export async function ensureAdminKey(store: GatewayStore, envKey: string | null): Promise<{ adminKeyHash: string | null; generated: string | null }> {
  if (envKey) return { adminKeyHash: hashSecret(envKey), generated: null }
  if ((await store.listKeys({ scope: 'admin' })).length) return { adminKeyHash: null, generated: null }
  const issued = issueKey('admin')
  await store.putKey({ id: issued.id, scope: 'admin', tenantId: null, sessionId: null, hash: issued.hash, createdAt: new Date().toISOString() })
  return { adminKeyHash: null, generated: issued.key }
}
