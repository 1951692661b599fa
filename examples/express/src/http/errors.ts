import { isWafleetError } from 'wafleet'

/** The error body of every failed request. */
export interface ErrorBody {
  statusCode: number
  code: string
  message: string
  details?: Record<string, unknown>
}

/** An error the gateway itself raises, with the HTTP status and code it answers with. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const authMissing = () => new ApiError(401, 'AUTH_MISSING', 'Send an API key as X-API-Key or Authorization: Bearer')
export const authInvalid = () => new ApiError(401, 'AUTH_INVALID', 'Invalid API key')
export const forbidden = (what: string) => new ApiError(403, 'FORBIDDEN', `This key cannot ${what}`)
// Other tenants' sessions and sessions outside a token's scope answer exactly like missing ones.
export const sessionNotFound = (id: string) => new ApiError(404, 'SESSION_NOT_FOUND', `Session ${id} not found`, { sessionId: id })

/**
 * HTTP status of each wafleet error code that may reach a client as it is. Codes not listed
 * (storage, encryption, internal) become a 500 INTERNAL_ERROR without their message.
 */
const WAFLEET_STATUS: Record<string, number> = {
  VALIDATION_ERROR: 400,
  INVALID_PHONE: 400,
  INVALID_RECIPIENT: 400,
  INVALID_CONFIG: 400,
  WEBHOOK_INVALID: 400,
  PROXY_INVALID: 400,
  PROXY_UNREACHABLE: 400,
  SESSION_NOT_FOUND: 404,
  SESSION_NAME_TAKEN: 409,
  SESSION_NOT_CONNECTED: 409,
  SESSION_ALREADY_CONNECTED: 409,
  SESSION_ALREADY_PAIRED: 409,
  SESSION_BUSY: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  PAIRING_FAILED: 502,
  SEND_FAILED: 502,
  MEDIA_DOWNLOAD_FAILED: 502,
  MANAGER_NOT_STARTED: 503,
  MANAGER_STOPPED: 503,
  OPERATION_ABORTED: 504,
}

/** body-parser's errors carry a `type`; these are the client's fault and safe to describe. */
function bodyParserError(error: { type?: unknown; limit?: unknown }): ErrorBody | null {
  switch (error.type) {
    case 'entity.too.large':
      return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than MAX_UPLOAD_SIZE', details: { limit: error.limit } }
    case 'entity.parse.failed':
      return { statusCode: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send JSON in UTF-8' }
    case 'request.aborted':
    case 'request.size.invalid':
      return { statusCode: 400, code: 'VALIDATION_ERROR', message: 'The request body was incomplete' }
    default:
      return null
  }
}

/** Maps anything thrown by a handler to the body a client may see; `null` means "internal, hide it". */
export function toErrorBody(error: unknown): ErrorBody | null {
  if (error instanceof ApiError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) }
  }
  if (isWafleetError(error)) {
    const statusCode = WAFLEET_STATUS[error.code]
    if (statusCode === undefined) return null
    // INVALID_CONFIG is the SDK's name for bad input to a plugin validator: to a client it is a validation error.
    const code = error.code === 'INVALID_CONFIG' ? 'VALIDATION_ERROR' : error.code
    return { statusCode, code, message: error.message, ...(error.details ? { details: error.details } : {}) }
  }
  if (error && typeof error === 'object' && 'type' in error) return bodyParserError(error as { type?: unknown; limit?: unknown })
  return null
}
