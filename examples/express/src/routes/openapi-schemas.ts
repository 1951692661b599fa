/** JSON Schemas of the responses, for the OpenAPI document (request bodies come from the zod schemas). */

const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required })
const str = { type: 'string' }
const nullableStr = { type: ['string', 'null'] }
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

export const components = {
  Error: obj(
    {
      statusCode: { type: 'integer' },
      code: { type: 'string', examples: ['SESSION_NOT_FOUND'] },
      message: str,
      details: { type: 'object', additionalProperties: true },
    },
    ['statusCode', 'code', 'message'],
  ),
  Session: {
    ...obj(
      {
        id: str,
        name: str,
        tenantId: nullableStr,
        status: { enum: ['stopped', 'starting', 'qr', 'pairing', 'connected', 'reconnecting', 'logged_out', 'failed'] },
        phoneNumber: nullableStr,
        connectedAt: nullableStr,
        stats: obj({
          contacts: { type: 'integer' },
          groups: { type: 'integer' },
          chats: { type: 'integer' },
          messagesSent: { type: 'integer' },
          messagesReceived: { type: 'integer' },
        }),
        webhooks: { type: 'array', items: { type: 'object' } },
        proxy: { type: ['object', 'null'] },
        metadata: { type: 'object' },
        createdAt: str,
        updatedAt: str,
      },
      ['id', 'name', 'status', 'stats'],
    ),
    additionalProperties: true,
  },
  Tenant: obj({ id: str, name: str, createdAt: str }),
}

export const schemas = {
  eventNames: obj({ events: { type: 'array', items: str } }),
  session: ref('Session'),
  createdSession: obj({ session: ref('Session'), token: str }),
  sessionPage: obj({ items: { type: 'array', items: ref('Session') }, nextCursor: nullableStr }),
  deleted: obj({ id: str, deleted: { const: true } }),
  token: obj({ id: str, token: str }),
  actionResult: obj({ id: str, status: str }),
  status: obj({ id: str, name: str, status: str, phoneNumber: nullableStr }),
  qr: obj(
    { id: str, status: str, qr: nullableStr, image: nullableStr, expiresAt: nullableStr, attempt: { type: 'integer' }, message: str },
    ['id', 'status', 'qr', 'image', 'expiresAt'],
  ),
  pairingCode: obj({ id: str, status: str, phoneNumber: str, code: str }),
  sentMessage: obj({ id: str, to: str, status: { const: 'sent' }, timestamp: str }),
  tenant: ref('Tenant'),
  createdTenant: obj({ tenant: ref('Tenant'), apiKey: obj({ id: str, key: str }) }),
  tenantPage: obj({ items: { type: 'array', items: ref('Tenant') }, nextCursor: nullableStr }),
  apiKey: obj({ id: str, key: str }),
  health: obj({ status: { enum: ['ok', 'degraded'] }, version: str, uptimeSeconds: { type: 'integer' }, storage: { type: 'object' }, sessions: { type: 'object' } }),
  scan: obj({ id: str, phoneNumber: str, status: str }),
}
