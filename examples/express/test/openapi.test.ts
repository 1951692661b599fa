import type { Router } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from './helpers.js'

let gw: TestGateway
let doc: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; security: unknown[] }>> }
beforeAll(async () => {
  gw = await startTestGateway()
  doc = (await gw.as(undefined).get('/openapi.json')).body
})
afterAll(() => gw?.close())

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** The (method, path) pairs the Express app really routes, read from the router itself. */
function registeredRoutes(app: { router: Router }): string[] {
  const found: string[] = []
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method} ${layer.route.path}`)
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack)
      }
    }
  }
  walk((app.router as unknown as { stack: any[] }).stack)
  return found.sort()
}

const documented = () =>
  Object.entries(doc.paths)
    .flatMap(([path, operations]) => Object.keys(operations).filter((m) => METHODS.includes(m)).map((method) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort()

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).length).toBeGreaterThan(20)
  })

  it('documents exactly the routes the router has, aliases included', () => {
    expect(documented()).toEqual(registeredRoutes(gw.gateway.app as never))
  })

  it('covers every route of the spec table and the seeds\' aliases', () => {
    const routes = documented()
    for (const expected of [
      'get /health',
      'get /sessions/webhook/events',
      'post /sessions',
      'post /sessions/create',
      'post /sessions/add',
      'get /sessions',
      'get /sessions/list',
      'get /sessions/:id',
      'get /sessions/:id/info',
      'patch /sessions/:id',
      'delete /sessions/:id',
      'delete /sessions/:id/delete',
      'post /sessions/:id/connect',
      'post /sessions/:id/disconnect',
      'post /sessions/:id/logout',
      'post /sessions/:id/restart',
      'get /sessions/:id/status',
      'get /sessions/:id/qr',
      'post /sessions/:id/pair',
      'post /sessions/:id/pairphone',
      'post /sessions/:id/messages/text',
      'post /sessions/:id/messages/media',
      'post /sessions/:id/messages/location',
      'post /sessions/:id/messages/reaction',
      'post /sessions/:id/messages/poll',
      'get /sessions/:id/events',
      'post /tenants',
      'get /tenants',
      'get /tenants/:id',
      'delete /tenants/:id',
      'get /metrics',
      'get /openapi.json',
      'post /demo/sessions/:id/scan',
    ]) {
      expect(routes).toContain(expected)
    }
  })

  it('every documented operation answers (none falls through to ROUTE_NOT_FOUND)', async () => {
    const { id } = await gw.createSession()
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations).filter((m) => METHODS.includes(m))) {
        if (method === 'delete' || path.endsWith('/events')) continue // destructive, or a stream that never ends
        const url = path.replace('{id}', method === 'get' && path.startsWith('/tenants') ? 'nobody' : id).replace('{keyId}', 'none')
        const response = await fetch(gw.url + url, { method: method.toUpperCase(), headers: { 'x-api-key': gw.config.adminKey!, 'content-type': 'application/json' }, body: method === 'get' ? undefined : '{}' })
        const body = response.headers.get('content-type')?.includes('json') ? await response.json() : {}
        expect(body.code, `${method} ${path}`).not.toBe('ROUTE_NOT_FOUND')
      }
    }
  })

  it('marks public routes as such and every other route as needing a key', () => {
    expect(doc.paths['/health']!.get!.security).toEqual([])
    expect(doc.paths['/sessions']!.get!.security).not.toEqual([])
    expect(doc.paths['/sessions']!.post!.responses).toHaveProperty('201')
    expect(doc.paths['/sessions/{id}/connect']!.post!.responses).toHaveProperty('202')
  })
})

describe('without demo mode', () => {
  it('has no /demo route at all', async () => {
    const real = await startTestGateway({ demo: false })
    try {
      const reply = await real.admin.post('/demo/sessions/x/scan')
      expect(reply.body.code).toBe('ROUTE_NOT_FOUND')
      const paths = Object.keys((await real.admin.get('/openapi.json')).body.paths)
      expect(paths.some((path) => path.startsWith('/demo'))).toBe(false)
    } finally {
      await real.close()
    }
  })
})
