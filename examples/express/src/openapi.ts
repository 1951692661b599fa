import { z } from 'zod'
import type { RouteDef } from './http/route.js'
import { components } from './routes/openapi-schemas.js'

const SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  bearer: { type: 'http', scheme: 'bearer' },
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid input (VALIDATION_ERROR, INVALID_JSON, INVALID_PHONE, INVALID_RECIPIENT)',
  '401': 'No key (AUTH_MISSING) or a wrong one (AUTH_INVALID)',
  '403': 'The key may not do this (FORBIDDEN)',
  '404': "Unknown, or another tenant's (SESSION_NOT_FOUND, TENANT_NOT_FOUND)",
  '409': 'Not in a state that allows it (SESSION_NOT_CONNECTED, SESSION_ALREADY_CONNECTED, SESSION_NAME_TAKEN, ...)',
  '413': 'Body larger than MAX_UPLOAD_SIZE (PAYLOAD_TOO_LARGE)',
  '429': 'Send queue full (RATE_LIMITED)',
  '500': 'INTERNAL_ERROR, with a request id to find in the logs',
  '502': 'WhatsApp or a media URL failed (SEND_FAILED, MEDIA_DOWNLOAD_FAILED, PAIRING_FAILED)',
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}')

function parameters(path: string, query: z.ZodType | undefined): unknown[] {
  const params: unknown[] = [...path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }))
  if (query) {
    const schema = z.toJSONSchema(query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] }
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      params.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property })
    }
  }
  return params
}

function operation(def: RouteDef, alias: boolean) {
  const { response } = def
  const contentType = response.contentType ?? 'application/json'
  return {
    operationId: `${def.method}${toOpenApiPath(def.path).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}${alias ? 'Alias' : ''}`,
    tags: [def.tag],
    summary: def.summary,
    ...(alias ? { description: `Alias of ${def.method.toUpperCase()} ${def.path}.` } : {}),
    security: def.access === 'public' ? [] : [{ apiKey: [] }, { bearer: [] }],
    'x-access': def.access,
    parameters: parameters(def.path, def.query),
    ...(def.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(def.body, { io: 'input', unrepresentable: 'any' }) } } } }
      : {}),
    responses: {
      [String(response.status)]: { description: response.description, content: { [contentType]: { schema: response.schema ?? { type: 'string' } } } },
      ...Object.fromEntries(
        Object.entries(ERROR_RESPONSES)
          .filter(([status]) => def.access !== 'public' || status === '500')
          .map(([status, description]) => [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
      ),
    },
  }
}

/** The OpenAPI 3.1 document of exactly the routes given (the same list the router is built from). */
export function buildOpenApi(routes: readonly RouteDef[], info: { version: string; demo: boolean }) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const def of routes) {
    for (const [index, path] of [def.path, ...(def.aliases ?? [])].entries()) {
      const key = toOpenApiPath(path)
      paths[key] = { ...paths[key], [def.method]: operation(def, index > 0) }
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'wafleet gateway',
      version: info.version,
      description: `WhatsApp HTTP gateway over wafleet${info.demo ? ' (demo mode: simulated WhatsApp)' : ''}. Errors are always { statusCode, code, message, details }.`,
    },
    components: { securitySchemes: SECURITY_SCHEMES, schemas: components },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  }
}
