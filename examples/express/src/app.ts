import { fileURLToPath } from 'node:url'
import express, { type Express } from 'express'
import { errorHandler, routeNotFound } from './http/error-handler.js'
import { mountRoutes, type RouteDef } from './http/route.js'
import type { EventStream } from './http/sse.js'
import { buildOpenApi } from './openapi.js'
import type { GatewayDeps } from './routes/deps.js'
import { demoRoutes } from './routes/demo.js'
import { eventRoutes } from './routes/events.js'
import { lifecycleRoutes } from './routes/lifecycle.js'
import { messageRoutes } from './routes/messages.js'
import { sessionRoutes } from './routes/sessions.js'
import { systemRoutes, WAFLEET_VERSION } from './routes/system.js'
import { tenantRoutes } from './routes/tenants.js'

export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url))

/** The panel loads nothing from elsewhere, and the browser is told to refuse anything that tries. */
const PANEL_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

export interface Gateway {
  app: Express
  /** Every API route, as registered and as documented in /openapi.json. */
  routes: readonly RouteDef[]
  /** Ends open event streams (they would otherwise hold the server open on shutdown). */
  closeStreams(): void
}

/** The Express app: JSON API, event streams, OpenAPI document and the panel's static files. */
export function createGateway(deps: GatewayDeps): Gateway {
  const streams = new Set<EventStream>()
  const routes: RouteDef[] = []
  let openApi: unknown
  routes.push(
    ...systemRoutes(deps, () => (openApi ??= buildOpenApi(routes, { version: WAFLEET_VERSION, demo: deps.config.demo }))),
    ...sessionRoutes(deps),
    ...lifecycleRoutes(deps),
    ...messageRoutes(deps),
    ...eventRoutes(deps, streams),
    ...tenantRoutes(deps),
    ...demoRoutes(deps),
  )

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use(express.json({ limit: deps.config.maxUploadSize }))
  const api = express.Router()
  mountRoutes(api, routes, deps.authenticator)
  app.use(api)
  // The panel: plain HTML, CSS and JavaScript from this folder; nothing is fetched from elsewhere.
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: 0, setHeaders: (res) => res.set(PANEL_HEADERS) }))
  app.use(routeNotFound)
  app.use(errorHandler(deps.logger))

  return {
    app,
    routes,
    closeStreams: () => {
      for (const stream of [...streams]) stream.close()
    },
  }
}
