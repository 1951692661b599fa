import type { WafleetError } from '../errors.js'
import type { SessionInfo } from '../events.js'
import { REDACTED, redactUrlCredentials } from '../logger.js'
import type { SessionRecord, SessionStats, SessionStatus } from '../storage/types.js'

/**
 * A session record as it may leave the process: webhook secrets and header values, proxy
 * passwords and credentials embedded in URLs are replaced, everything else is a copy.
 */
export function toSessionInfo(record: SessionRecord, status: SessionStatus, stats: SessionStats, error: WafleetError | null): SessionInfo {
  const { createdAt, updatedAt, ...rest } = structuredClone(record)
  return {
    ...rest,
    status,
    stats,
    webhooks: rest.webhooks.map((endpoint) => ({
      ...endpoint,
      url: redactUrlCredentials(endpoint.url),
      ...(endpoint.secret === undefined ? {} : { secret: REDACTED }),
      ...(endpoint.headers ? { headers: Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, REDACTED])) } : {}),
    })),
    proxy: rest.proxy
      ? {
          ...rest.proxy,
          ...(typeof rest.proxy.url === 'string' ? { url: redactUrlCredentials(rest.proxy.url) } : {}),
          ...(rest.proxy.password === undefined ? {} : { password: REDACTED }),
        }
      : null,
    createdAt: createdAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    error: error ? { code: error.code, message: error.message } : null,
  }
}
