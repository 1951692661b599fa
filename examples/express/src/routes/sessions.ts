import { SESSION_EVENTS, type Session, type SessionInfo } from 'wafleet'
import { listingTenant, visibleSession } from '../auth/access.js'
import { ApiError, forbidden } from '../http/errors.js'
import { route, type RouteDef } from '../http/route.js'
import { createSessionBody, listSessionsQuery, updateSessionBody } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

export const sessionView = (session: Session): SessionInfo => session.info()

/** Create, list, read, update and delete sessions; session tokens. */
export function sessionRoutes({ manager, authenticator, store }: GatewayDeps): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/sessions/webhook/events',
      tag: 'Sessions',
      summary: 'List the event names a webhook can subscribe to',
      access: 'any',
      response: { status: 200, description: 'Event names', schema: schemas.eventNames },
      handler: () => ({ events: [...SESSION_EVENTS] }),
    }),
    route({
      method: 'post',
      path: '/sessions',
      aliases: ['/sessions/create', '/sessions/add'],
      tag: 'Sessions',
      summary: 'Create a session',
      access: 'tenant',
      body: createSessionBody,
      response: { status: 201, description: 'The session and its token (shown only here)', schema: schemas.createdSession },
      handler: async ({ principal, body }) => {
        let tenantId: string | null = null
        if (principal.kind === 'tenant') {
          if (body.tenantId !== undefined && body.tenantId !== principal.tenantId) throw forbidden('create sessions for another tenant')
          tenantId = principal.tenantId
        } else if (body.tenantId !== undefined) {
          if (!(await store.getTenant(body.tenantId))) {
            throw new ApiError(400, 'VALIDATION_ERROR', `Unknown tenant ${body.tenantId}`, { field: 'tenantId' })
          }
          tenantId = body.tenantId
        }
        const session = await manager.create({ ...body, tenantId })
        const token = await authenticator.issue('session', { sessionId: session.id, tenantId })
        return { session: sessionView(session), token: token.key }
      },
    }),
    route({
      method: 'get',
      path: '/sessions',
      aliases: ['/sessions/list'],
      tag: 'Sessions',
      summary: 'List sessions',
      access: 'tenant',
      query: listSessionsQuery,
      response: { status: 200, description: 'A page of sessions, oldest first', schema: schemas.sessionPage },
      handler: async ({ principal, query }) => {
        const own = listingTenant(principal)
        if (own !== undefined && query.tenantId !== undefined && query.tenantId !== own) throw forbidden('list another tenant')
        const tenantId = own ?? query.tenantId
        const page = await manager.list({
          limit: query.limit,
          ...(tenantId === undefined ? {} : { tenantId }),
          ...(query.status ? { status: query.status as Session['status'] } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        })
        return { items: page.items.map(sessionView), nextCursor: page.nextCursor }
      },
    }),
    route({
      method: 'get',
      path: '/sessions/:id',
      aliases: ['/sessions/:id/info'],
      tag: 'Sessions',
      summary: 'Get a session: status, phone, stats',
      access: 'any',
      response: { status: 200, description: 'The session', schema: schemas.session },
      handler: ({ principal, params }) => sessionView(visibleSession(manager, principal, params.id!)),
    }),
    route({
      method: 'patch',
      path: '/sessions/:id',
      tag: 'Sessions',
      summary: 'Update webhooks, proxy, rate limit, metadata or name',
      access: 'any',
      body: updateSessionBody,
      response: { status: 200, description: 'The updated session', schema: schemas.session },
      handler: async ({ principal, params, body }) => visibleSession(manager, principal, params.id!).update(body),
    }),
    route({
      method: 'delete',
      path: '/sessions/:id',
      aliases: ['/sessions/:id/delete'],
      tag: 'Sessions',
      summary: 'Delete a session: disconnect and remove everything it stored',
      access: 'tenant',
      response: { status: 200, description: 'Deleted', schema: schemas.deleted },
      handler: async ({ principal, params }) => {
        const session = visibleSession(manager, principal, params.id!)
        await manager.delete(session.id)
        await authenticator.revokeSession(session.id)
        return { id: session.id, deleted: true }
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/token',
      tag: 'Sessions',
      summary: 'Replace the session token (the old one stops working)',
      access: 'tenant',
      response: { status: 201, description: 'The new token (shown only here)', schema: schemas.token },
      handler: async ({ principal, params }) => {
        const session = visibleSession(manager, principal, params.id!)
        await authenticator.revokeSession(session.id)
        const token = await authenticator.issue('session', { sessionId: session.id, tenantId: session.tenantId })
        return { id: session.id, token: token.key }
      },
    }),
  ]
}
