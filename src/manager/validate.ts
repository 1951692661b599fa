import { ValidationError } from '../errors.js'
import type { SessionConfigInput } from '../plugins/types.js'
import { validateRateLimit } from './options.js'

/** Ids and tenant ids travel in URLs and logs: keep them to an unambiguous, URL-safe alphabet. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/
const MAX_NAME_LENGTH = 100
const MAX_METADATA_BYTES = 16 * 1024

const invalid = (field: string, message: string) => new ValidationError('VALIDATION_ERROR', `${field} ${message}`, { details: { field } })

export function assertSafeId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SAFE_ID.test(value)) {
    throw invalid(field, 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ - and start with a letter or digit')
  }
  return value
}

export function assertName(value: unknown): string {
  if (typeof value !== 'string' || !value.trim() || value.length > MAX_NAME_LENGTH) {
    throw invalid('name', `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`)
  }
  return value.trim()
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype

/** Shape checks of the user-editable fields; plugins add deeper checks (URLs, reachability). */
export function assertSessionConfig(input: SessionConfigInput & { name?: string }): void {
  if (input.name !== undefined) assertName(input.name)
  if (input.metadata !== undefined) {
    if (!isPlainObject(input.metadata)) throw invalid('metadata', 'must be a plain object')
    let size: number
    try {
      size = Buffer.byteLength(JSON.stringify(input.metadata))
    } catch {
      throw invalid('metadata', 'must be JSON-serializable')
    }
    if (size > MAX_METADATA_BYTES) throw invalid('metadata', `must be at most ${MAX_METADATA_BYTES} bytes as JSON`)
  }
  if (input.webhooks !== undefined) {
    if (!Array.isArray(input.webhooks)) throw invalid('webhooks', 'must be an array')
    input.webhooks.forEach((endpoint, index) => {
      if (!isPlainObject(endpoint) || typeof endpoint.url !== 'string') throw invalid(`webhooks[${index}]`, 'must be an object with a url')
    })
  }
  if (input.proxy !== undefined && input.proxy !== null && !isPlainObject(input.proxy)) throw invalid('proxy', 'must be an object or null')
  if (input.rateLimit !== undefined) validateRateLimit(input.rateLimit, 'rateLimit')
}
