import type { Session, SessionManager } from 'wafleet'
import { forbidden, sessionNotFound } from '../http/errors.js'
import type { Principal } from './authenticator.js'

/**
 * The session `id` as this caller may see it. Another tenant's session, and any session but its
 * own for a session token, is "not found": existence never leaks through a 403.
 */
export function visibleSession(manager: SessionManager, principal: Principal, id: string): Session {
  const session = manager.get(id)
  if (!session) throw sessionNotFound(id)
  if (principal.kind === 'tenant' && session.tenantId !== principal.tenantId) throw sessionNotFound(id)
  if (principal.kind === 'session' && session.id !== principal.sessionId) throw sessionNotFound(id)
  return session
}

/** Whether this caller may see events of a session (used to filter event streams). */
export function canSee(principal: Principal, session: { sessionId: string; tenantId: string | null }): boolean {
  if (principal.kind === 'admin') return true
  if (principal.kind === 'tenant') return session.tenantId === principal.tenantId
  return session.sessionId === principal.sessionId
}

/** The tenant whose sessions a listing may show: undefined for the admin (every tenant). */
export function listingTenant(principal: Principal): string | undefined {
  if (principal.kind === 'session') throw forbidden('list sessions')
  return principal.kind === 'tenant' ? principal.tenantId : undefined
}
