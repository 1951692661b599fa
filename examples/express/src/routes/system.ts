import { createRequire } from 'node:module'
import { route, type RouteDef } from '../http/route.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

export const WAFLEET_VERSION: string = createRequire(import.meta.url)('wafleet/package.json').version

/** Health, metrics and the OpenAPI document. */
export function systemRoutes({ manager, startedAt, config }: GatewayDeps, openApi: () => unknown): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/health',
      tag: 'System',
      summary: 'Status, version, uptime, storage check and sessions by status',
      access: 'public',
      response: { status: 200, description: 'Healthy (503 with the same body when not)', schema: schemas.health },
      handler: async ({ res }) => {
        const report = await manager.health()
        res.status(report.ok ? 200 : 503)
        const { error: _hidden, ...storage } = report.storage // a driver's message may name hosts; the log has it
        return {
          status: report.ok ? 'ok' : 'degraded',
          version: WAFLEET_VERSION,
          uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000),
          demo: config.demo,
          storage: { ...storage, ...(report.storage.error ? { error: report.storage.error.code } : {}) },
          sessions: report.sessions,
        }
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      tag: 'System',
      summary: 'Prometheus metrics',
      access: 'admin',
      response: { status: 200, contentType: 'text/plain', description: 'Prometheus text exposition format' },
      handler: async ({ res }) => {
        res.type(manager.metrics.contentType).send(await manager.metrics.metrics())
        return undefined
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'System',
      summary: 'This API as an OpenAPI 3.1 document',
      access: 'public',
      response: { status: 200, description: 'OpenAPI 3.1', schema: { type: 'object' } },
      handler: () => openApi(),
    }),
  ]
}
