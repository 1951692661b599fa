import type { SessionStatus } from 'wafleet'
import { visibleSession } from '../auth/access.js'
import { ApiError } from '../http/errors.js'
import { route, type RouteDef } from '../http/route.js'
import { pairBody, qrQuery } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

/** A QR arrives a moment after connecting: `GET /qr` waits this long for it instead of answering "not yet". */
const QR_WAIT_MS = 5_000
const AFTER_STARTING: SessionStatus[] = ['qr', 'pairing', 'connected', 'reconnecting', 'stopped', 'logged_out', 'failed']

/** Connect, disconnect, logout, restart, status, QR and pairing code. */
export function lifecycleRoutes({ manager }: GatewayDeps): RouteDef[] {
  const action = (
    path: string,
    summary: string,
    status: number,
    run: (session: ReturnType<typeof visibleSession>) => Promise<void>,
  ) =>
    route({
      method: 'post',
      path,
      tag: 'Connection',
      summary,
      access: 'any',
      response: { status, description: 'The session status after the action', schema: schemas.actionResult },
      handler: async ({ principal, params }) => {
        const session = visibleSession(manager, principal, params.id!)
        await run(session)
        return { id: session.id, status: session.status }
      },
    })

  return [
    action('/sessions/:id/connect', 'Connect (then scan the QR or request a pairing code)', 202, async (session) => {
      if (session.status === 'connected') {
        throw new ApiError(409, 'SESSION_ALREADY_CONNECTED', `Session ${session.id} is already connected`, { sessionId: session.id })
      }
      await session.connect()
    }),
    action('/sessions/:id/disconnect', 'Disconnect and keep the credentials (connect later without a QR)', 200, (session) => session.disconnect()),
    action('/sessions/:id/logout', 'Unlink the device and wipe the credentials', 200, (session) => session.logout()),
    action('/sessions/:id/restart', 'Close and reopen the connection', 202, (session) => session.restart()),
    route({
      method: 'get',
      path: '/sessions/:id/status',
      tag: 'Connection',
      summary: 'Status and phone number',
      access: 'any',
      response: { status: 200, description: 'Status', schema: schemas.status },
      handler: ({ principal, params }) => {
        const session = visibleSession(manager, principal, params.id!)
        return { id: session.id, name: session.name, status: session.status, phoneNumber: session.phoneNumber }
      },
    }),
    route({
      method: 'get',
      path: '/sessions/:id/qr',
      tag: 'Connection',
      summary: 'The current QR code (JSON with a PNG data URL, or ?format=png)',
      access: 'any',
      query: qrQuery,
      response: { status: 200, description: 'The QR, or null with a message when there is none', schema: schemas.qr },
      handler: async ({ principal, params, query, res }) => {
        const session = visibleSession(manager, principal, params.id!)
        if (session.status === 'starting') await session.waitFor(AFTER_STARTING, QR_WAIT_MS).catch(() => undefined)
        const qr = session.qr
        if (query.format === 'png') {
          if (!qr) throw new ApiError(409, 'QR_NOT_AVAILABLE', `Session ${session.id} shows no QR code (status: ${session.status})`, { status: session.status })
          res.set('Cache-Control', 'no-store').type('png').send(Buffer.from(qr.dataUrl.slice(qr.dataUrl.indexOf(',') + 1), 'base64'))
          return undefined
        }
        if (!qr) {
          const message =
            session.status === 'connected' ? 'Session is already connected' : 'No QR code now: connect the session first (POST /sessions/:id/connect)'
          return { id: session.id, status: session.status, qr: null, image: null, expiresAt: null, message }
        }
        return { id: session.id, status: session.status, qr: qr.value, image: qr.dataUrl, expiresAt: qr.expiresAt.toISOString(), attempt: qr.attempt }
      },
    }),
    route({
      method: 'post',
      path: '/sessions/:id/pair',
      aliases: ['/sessions/:id/pairphone'],
      tag: 'Connection',
      summary: 'Link with a pairing code instead of a QR',
      access: 'any',
      body: pairBody,
      response: { status: 200, description: 'The code to type on the phone (Linked devices > Link with phone number)', schema: schemas.pairingCode },
      handler: async ({ principal, params, body }) => {
        const session = visibleSession(manager, principal, params.id!)
        const code = await session.requestPairingCode(body.phoneNumber)
        return { id: session.id, status: session.status, phoneNumber: body.phoneNumber.replace(/\D/g, ''), code }
      },
    }),
  ]
}
