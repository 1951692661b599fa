import type { AnyManagerEvent } from 'wafleet'
import { serializeData } from 'wafleet/plugins/webhooks'
import { canSee, visibleSession } from '../auth/access.js'
import { route, type RouteDef } from '../http/route.js'
import { eventsQuery } from '../http/schemas.js'
import { openEventStream, type EventStream } from '../http/sse.js'
import type { GatewayDeps } from './deps.js'

/** `?events=session.status,messages.upsert` keeps only those names (a trailing `*` matches a prefix). */
function eventFilter(list: string | undefined): (name: string) => boolean {
  const wanted = (list ?? '').split(',').map((name) => name.trim()).filter(Boolean)
  if (!wanted.length) return () => true
  return (name) => wanted.some((pattern) => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern))
}

/**
 * Every event as `event: <name>` with `data: {"sessionId", "tenantId", "data"}`. Bytes and protobuf
 * Longs are written as the webhooks plugin writes them (`serializeData`), so a stream consumer and
 * a webhook receiver parse the same JSON.
 */
function forward(stream: EventStream, envelope: AnyManagerEvent): void {
  stream.send(envelope.event, `{"sessionId":${JSON.stringify(envelope.sessionId)},"tenantId":${JSON.stringify(envelope.tenantId)},"data":${serializeData(envelope.data)}}`)
}

/** Server-Sent Events: one session's stream, and the stream of every session the key can see (the panel's). */
export function eventRoutes({ manager }: GatewayDeps, streams: Set<EventStream>): RouteDef[] {
  const subscribe = (stream: EventStream, accept: (envelope: AnyManagerEvent) => boolean) => {
    const listener = (envelope: AnyManagerEvent) => {
      if (accept(envelope)) forward(stream, envelope)
    }
    manager.on('*', listener)
    stream.onClose(() => manager.off('*', listener))
  }
  return [
    route({
      method: 'get',
      path: '/sessions/:id/events',
      tag: 'Events',
      summary: "Server-Sent Events stream of one session's events",
      access: 'any',
      query: eventsQuery,
      response: { status: 200, contentType: 'text/event-stream', description: 'A `ready` event with the session, then every event as it happens' },
      handler: ({ req, res, principal, params, query }) => {
        const session = visibleSession(manager, principal, params.id!)
        const wanted = eventFilter(query.events)
        const stream = openEventStream(req, res, streams)
        stream.send('ready', serializeData({ session: session.info() }))
        subscribe(stream, (envelope) => envelope.sessionId === session.id && wanted(envelope.event))
        return undefined
      },
    }),
    route({
      method: 'get',
      path: '/events',
      tag: 'Events',
      summary: 'Server-Sent Events stream of every session this key can see',
      access: 'any',
      query: eventsQuery,
      response: { status: 200, contentType: 'text/event-stream', description: 'A `ready` event, then every event as it happens' },
      handler: ({ req, res, principal, query }) => {
        const wanted = eventFilter(query.events)
        const stream = openEventStream(req, res, streams)
        stream.send('ready', '{}')
        subscribe(stream, (envelope) => canSee(principal, envelope) && wanted(envelope.event))
        return undefined
      },
    }),
  ]
}
