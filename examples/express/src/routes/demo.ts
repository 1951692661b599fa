import type { SessionStatus } from 'wafleet'
import { ApiError } from '../http/errors.js'
import { route, type RouteDef } from '../http/route.js'
import { scanBody } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

const SCAN_OUTCOMES: SessionStatus[] = ['connected', 'failed', 'logged_out', 'stopped']
const SCAN_WAIT_MS = 5_000

/** Demo mode only (the route does not exist otherwise): play the phone that scans a session's QR. */
export function demoRoutes({ manager, demo }: GatewayDeps): RouteDef[] {
  if (!demo) return []
  return [
    route({
      method: 'post',
      path: '/demo/sessions/:id/scan',
      tag: 'Demo',
      summary: 'Simulate the phone scanning the QR (or confirming the pairing code)',
      access: 'admin',
      body: scanBody,
      response: { status: 200, description: 'Scanned; answers once the session connected (or stopped trying)', schema: schemas.scan },
      handler: async ({ params, body }) => {
        const session = manager.get(params.id!)
        if (!session) throw new ApiError(404, 'SESSION_NOT_FOUND', `Session ${params.id} not found`, { sessionId: params.id })
        if (session.status !== 'qr' && session.status !== 'pairing') {
          throw new ApiError(409, 'QR_NOT_AVAILABLE', `Session ${session.id} is not waiting for a scan (status: ${session.status})`, { status: session.status })
        }
        const phoneNumber = await demo.scan(session, body.phoneNumber)
        // WhatsApp restarts the connection after a scan (515); answering after it lets a script go on at once.
        await session.waitFor(SCAN_OUTCOMES, SCAN_WAIT_MS).catch(() => undefined)
        return { id: session.id, phoneNumber, status: session.status }
      },
    }),
  ]
}
