import { ApiError } from '../http/errors.js'
import { route, type RouteDef } from '../http/route.js'
import { scanBody } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

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
      response: { status: 200, description: 'Scanned; the session connects a moment later', schema: schemas.scan },
      handler: ({ params, body }) => {
        const session = manager.get(params.id!)
        if (!session) throw new ApiError(404, 'SESSION_NOT_FOUND', `Session ${params.id} not found`, { sessionId: params.id })
        if (session.status !== 'qr' && session.status !== 'pairing') {
          throw new ApiError(409, 'QR_NOT_AVAILABLE', `Session ${session.id} is not waiting for a scan (status: ${session.status})`, { status: session.status })
        }
        const phoneNumber = demo.scan(session.id, body.phoneNumber)
        return { id: session.id, phoneNumber }
      },
    }),
  ]
}
