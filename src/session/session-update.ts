import { ValidationError } from '../errors.js'
import type { SessionConfigInput } from '../plugins/types.js'
import type { SessionRecord } from '../storage/types.js'

/** What `session.update()` may change. */
export interface SessionUpdate {
  name?: string
  webhooks?: SessionRecord['webhooks']
  proxy?: SessionRecord['proxy']
  rateLimit?: SessionRecord['rateLimit']
  metadata?: SessionRecord['metadata']
}

const UPDATABLE = ['name', 'webhooks', 'proxy', 'rateLimit', 'metadata'] as const

/** A copy of the fields of `patch` that may be updated; unknown fields are an error, not ignored. */
export function pickUpdate(patch: SessionUpdate): SessionConfigInput & { name?: string } {
  if (!patch || typeof patch !== 'object') throw new ValidationError('VALIDATION_ERROR', 'update needs an object')
  const unknown = Object.keys(patch).filter((key) => !(UPDATABLE as readonly string[]).includes(key))
  if (unknown.length) {
    throw new ValidationError('VALIDATION_ERROR', `Unknown session fields: ${unknown.join(', ')}`, { details: { fields: unknown } })
  }
  const out: Record<string, unknown> = {}
  for (const key of UPDATABLE) if (patch[key] !== undefined) out[key] = structuredClone(patch[key])
  return out
}
