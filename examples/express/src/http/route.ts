import type { Request, Response, Router } from 'express'
import { z } from 'zod'
import type { Authenticator, Principal } from '../auth/authenticator.js'
import { ApiError, authInvalid, authMissing, forbidden } from './errors.js'

/**
 * Who may call a route: `public` needs no key; `any` takes the admin key, a tenant key or a session
 * token; `tenant` the admin or a tenant key; `admin` only the admin key.
 */
export type Access = 'public' | 'any' | 'tenant' | 'admin'

export interface RouteContext<B, Q> {
  req: Request
  res: Response
  /** Null only on public routes. */
  principal: Principal
  body: B
  query: Q
  params: Record<string, string>
}

export interface RouteResponse {
  status: number
  description: string
  /** @default 'application/json' */
  contentType?: string
  /** JSON Schema of the body, for the OpenAPI document. */
  schema?: Record<string, unknown>
}

/**
 * One route, described once: it is both registered on the router and written into the OpenAPI
 * document, so the two cannot drift apart (and a test checks the router against the document).
 */
export interface RouteDef<B = unknown, Q = unknown> {
  method: 'get' | 'post' | 'patch' | 'delete'
  path: string
  /** Other paths answering the same way (names from the seeds' gateways). */
  aliases?: string[]
  tag: string
  summary: string
  access: Access
  body?: z.ZodType<B>
  query?: z.ZodType<Q>
  response: RouteResponse
  /** The returned value is sent as JSON with `response.status`; return undefined after writing the response yourself. */
  handler(ctx: RouteContext<B, Q>): unknown
}

/** Keeps the body and query types of each route checked against its handler. */
export function route<B = undefined, Q = undefined>(def: RouteDef<B, Q>): RouteDef {
  return def as unknown as RouteDef
}

const ALLOWED: Record<Exclude<Access, 'public'>, readonly Principal['kind'][]> = {
  any: ['admin', 'tenant', 'session'],
  tenant: ['admin', 'tenant'],
  admin: ['admin'],
}

function validationError(error: z.ZodError, where: 'body' | 'query'): ApiError {
  const issues = error.issues.map((issue) => ({ field: issue.path.join('.') || where, message: issue.message }))
  return new ApiError(400, 'VALIDATION_ERROR', `Invalid ${where}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
    field: issues[0]?.field,
    issues,
  })
}

async function authorize(def: RouteDef, req: Request, authenticator: Authenticator): Promise<Principal> {
  const principal = await authenticator.authenticate(req.headers)
  if (principal === undefined) throw authMissing()
  if (principal === null) throw authInvalid()
  if (!ALLOWED[def.access as Exclude<Access, 'public'>].includes(principal.kind)) throw forbidden(def.summary.toLowerCase())
  return principal
}

export function mountRoutes(router: Router, routes: readonly RouteDef[], authenticator: Authenticator): void {
  for (const def of routes) {
    const handle = async (req: Request, res: Response) => {
      const principal = def.access === 'public' ? (null as unknown as Principal) : await authorize(def, req, authenticator)
      let body: unknown
      if (def.body) {
        const parsed = def.body.safeParse(req.body ?? {})
        if (!parsed.success) throw validationError(parsed.error, 'body')
        body = parsed.data
      }
      let query: unknown
      if (def.query) {
        const parsed = def.query.safeParse(req.query)
        if (!parsed.success) throw validationError(parsed.error, 'query')
        query = parsed.data
      }
      const result = await def.handler({ req, res, principal, body, query, params: req.params as Record<string, string> })
      if (result === undefined || res.headersSent) return
      // A handler may have chosen another status (health answers 503 when storage is down).
      if (res.statusCode === 200) res.status(def.response.status)
      res.json(result)
    }
    for (const path of [def.path, ...(def.aliases ?? [])]) router[def.method](path, handle)
  }
}
