import type { Logger } from '../../logger.js'
import type { SessionManager } from '../../manager/session-manager.js'
import { resolveEndpoint, wantsEvent, type EndpointDefaults, type ResolvedEndpoint } from './endpoint.js'

export type Scope = 'global' | 'session'

/** Where a delivery goes, written in the outbox item's `target`. */
export interface Target {
  scope: Scope
  endpointId: string
  /** For global endpoints the session lives in the target: their items have no sessionId (see below). */
  sessionId: string | null
}

const PREFIX = 'webhooks:'

/**
 * Global deliveries are stored with `sessionId: null`, because outbox rows are deleted with their
 * session and a global receiver must still get what happened before (and `session.deleted`
 * itself). The session id then lives in the target, where `list({ target })` can find it.
 */
export function encodeTarget(target: Target): string {
  return target.scope === 'global' ? `${PREFIX}g:${target.endpointId}:${target.sessionId}` : `${PREFIX}s:${target.endpointId}`
}

export function decodeTarget(target: string, itemSessionId: string | null): Target | null {
  if (!target.startsWith(PREFIX)) return null
  const [scope, endpointId, sessionId] = target.slice(PREFIX.length).split(':')
  if (!endpointId) return null
  if (scope === 'g' && sessionId) return { scope: 'global', endpointId, sessionId }
  if (scope === 's' && itemSessionId) return { scope: 'session', endpointId, sessionId: itemSessionId }
  return null
}

export const isWebhookTarget = (target: string): boolean => target.startsWith(PREFIX)

/**
 * The endpoints in force: global ones from the options, and each session's from its record, read
 * when first needed and again after `session.updated`, so a change applies to the next event
 * without a restart. Deliveries look their endpoint up when they are attempted, so pending ones
 * follow a changed URL, secret or retry policy.
 */
export class EndpointRegistry {
  readonly globals: ReadonlyMap<string, ResolvedEndpoint>
  private readonly sessions = new Map<string, ReadonlyMap<string, ResolvedEndpoint>>()

  constructor(
    globals: readonly ResolvedEndpoint[],
    private readonly manager: SessionManager,
    private readonly defaults: EndpointDefaults,
    private readonly logger: Logger,
  ) {
    this.globals = new Map(globals.map((endpoint) => [endpoint.id, endpoint]))
  }

  forget(sessionId: string): void {
    this.sessions.delete(sessionId)
  }

  forSession(sessionId: string): ReadonlyMap<string, ResolvedEndpoint> {
    let endpoints = this.sessions.get(sessionId)
    if (endpoints) return endpoints
    const session = this.manager.get(sessionId)
    if (!session) return new Map()
    const resolved = new Map<string, ResolvedEndpoint>()
    session.webhooks.forEach((stored, index) => {
      try {
        const endpoint = resolveEndpoint(stored, `webhooks[${index}]`, this.defaults)
        if (!resolved.has(endpoint.id)) resolved.set(endpoint.id, endpoint)
      } catch (error) {
        // Stored before this plugin (or its current options) checked it: skip it, loudly.
        this.logger.error({ err: error, sessionId }, 'stored webhook endpoint is invalid and is skipped')
      }
    })
    this.sessions.set(sessionId, (endpoints = resolved))
    return endpoints
  }

  /** Every endpoint that wants this event of this session. */
  targets(event: string, sessionId: string, sessionExists: boolean): { endpoint: ResolvedEndpoint; target: Target }[] {
    const out: { endpoint: ResolvedEndpoint; target: Target }[] = []
    for (const endpoint of this.globals.values()) {
      if (wantsEvent(endpoint, event)) out.push({ endpoint, target: { scope: 'global', endpointId: endpoint.id, sessionId } })
    }
    if (sessionExists) {
      for (const endpoint of this.forSession(sessionId).values()) {
        if (wantsEvent(endpoint, event)) out.push({ endpoint, target: { scope: 'session', endpointId: endpoint.id, sessionId } })
      }
    }
    return out
  }

  lookup(target: Target): ResolvedEndpoint | undefined {
    return target.scope === 'global' ? this.globals.get(target.endpointId) : this.forSession(target.sessionId!).get(target.endpointId)
  }
}
