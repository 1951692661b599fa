import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export type KeyScope = 'admin' | 'tenant' | 'session'

const PREFIX: Record<KeyScope, string> = { admin: 'wfa', tenant: 'wft', session: 'wfs' }
const SCOPE_BY_PREFIX: Record<string, KeyScope> = { wfa: 'admin', wft: 'tenant', wfs: 'session' }

/**
 * Keys look like `wft_<id>_<secret>`: the id finds the stored record without touching the secret,
 * and only the SHA-256 of the secret is stored. SHA-256 (not a slow KDF) is right here because the
 * secret is 256 random bits, not a password; a slow hash would only slow every request.
 */
const KEY_PATTERN = /^(wf[ats])_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

export interface IssuedKey {
  id: string
  scope: KeyScope
  /** Shown once to the caller, never stored. */
  key: string
  hash: string
}

export interface ParsedKey {
  id: string
  scope: KeyScope
  secret: string
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

export function issueKey(scope: KeyScope): IssuedKey {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, scope, key: `${PREFIX[scope]}_${id}_${secret}`, hash: hashSecret(secret) }
}

export function parseKey(key: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(key)
  if (!match) return null
  return { scope: SCOPE_BY_PREFIX[match[1]!]!, id: match[2]!, secret: match[3]! }
}

/** Compares two SHA-256 hex digests in constant time (same length by construction). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length === 32 && timingSafeEqual(left, right)
}
