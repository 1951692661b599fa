import { MEDIA_TYPES, SESSION_STATUSES } from 'wafleet'
import { z } from 'zod'

/** The alphabet wafleet accepts for ids and tenant ids (URL- and log-safe). */
export const safeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ - starting with a letter or digit')
const name = z.string().trim().min(1).max(100)
const recipient = z.string().trim().min(1, 'is required').max(200)

// Endpoint and proxy fields are checked in depth by the webhooks and proxy plugins (URL schemes,
// event names, reachability); here only their shape, and unknown fields pass through to them.
const webhookEndpoint = z.looseObject({
  url: z.string().min(1),
  events: z.array(z.string()).optional(),
  secret: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().int().positive().optional(),
})
const proxy = z.looseObject({ url: z.string().min(1).optional() }).nullable()
const rateLimit = z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().min(1) }).nullable()
const metadata = z.record(z.string(), z.unknown())

export const createSessionBody = z.strictObject({
  id: safeId.optional(),
  name,
  tenantId: safeId.optional(),
  webhooks: z.array(webhookEndpoint).max(20).optional(),
  proxy: proxy.optional(),
  rateLimit: rateLimit.optional(),
  metadata: metadata.optional(),
})

export const updateSessionBody = z
  .strictObject({
    name: name.optional(),
    webhooks: z.array(webhookEndpoint).max(20).optional(),
    proxy: proxy.optional(),
    rateLimit: rateLimit.optional(),
    metadata: metadata.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one of name, webhooks, proxy, rateLimit, metadata')

const limit = z.coerce.number().int().min(1).max(1000).default(50)
export const listSessionsQuery = z.strictObject({
  status: z.enum(SESSION_STATUSES as [string, ...string[]]).optional(),
  tenantId: safeId.optional(),
  limit,
  cursor: z.string().min(1).optional(),
})
export const pageQuery = z.strictObject({ limit, cursor: z.string().min(1).optional() })

export const qrQuery = z.strictObject({ format: z.enum(['json', 'png']).default('json') })
export const pairBody = z.strictObject({ phoneNumber: z.string().trim().min(1, 'is required') })

export const textBody = z.strictObject({ to: recipient, text: z.string().min(1).max(65_536) })
export const mediaBody = z
  .strictObject({
    to: recipient,
    url: z.url({ protocol: /^https?$/ }).optional(),
    base64: z.string().min(1).optional(),
    mimetype: z.string().min(3).max(255).optional(),
    fileName: z.string().min(1).max(255).optional(),
    caption: z.string().max(4096).optional(),
    type: z.enum(MEDIA_TYPES as [string, ...string[]]).optional(),
  })
  .refine((body) => (body.url === undefined) !== (body.base64 === undefined), { message: 'send exactly one of url or base64', path: ['url'] })
export const locationBody = z.strictObject({
  to: recipient,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(256).optional(),
  address: z.string().max(512).optional(),
})
export const reactionBody = z.strictObject({
  to: recipient,
  messageId: z.string().min(1).max(128),
  /** Whether the message reacted to was sent by this session. */
  fromMe: z.boolean().default(false),
  /** In groups: who sent the message reacted to. */
  participant: z.string().min(1).optional(),
  /** One emoji; an empty string removes the reaction. */
  emoji: z.string().max(16),
})
export const pollBody = z.strictObject({
  to: recipient,
  name: z.string().min(1).max(256),
  options: z.array(z.string().min(1).max(100)).min(2).max(12),
  selectableCount: z.number().int().min(0).max(12).default(1),
})

export const createTenantBody = z.strictObject({ id: safeId.optional(), name })
export const scanBody = z.strictObject({ phoneNumber: z.string().regex(/^\d{8,15}$/, 'must be 8-15 digits').optional() })
export const eventsQuery = z.strictObject({ events: z.string().optional() })
