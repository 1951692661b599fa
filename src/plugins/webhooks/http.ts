import type { LookupFunction } from 'node:net'
import { isIP } from 'node:net'
import { Pool, type Dispatcher } from 'undici'
import { isPrivateAddress, PrivateAddressError } from '../../util/network.js'
import { isRetryableStatus, parseRetryAfter } from './retry.js'

export interface AttemptRequest {
  url: URL
  headers: Record<string, string>
  /** The stored payload, sent as it is (no decoding and encoding again). */
  body: Uint8Array
  timeoutMs: number
}

export type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status?: number; retryAfterMs?: number; error: string }

/** What is kept of an error response for the dead-letter log. */
const ERROR_SNIPPET = 200

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

function isBlocked(error: unknown): boolean {
  return error instanceof PrivateAddressError || (error as { cause?: unknown } | null)?.cause instanceof PrivateAddressError
}

/**
 * Keep-alive connection pools per endpoint (undici: about half the CPU of node:http per request,
 * docs/performance.md): a receiver gets at most `concurrency` connections, reused across
 * deliveries. With `blockPrivateNetworks` every new connection resolves through the guarded
 * lookup, which checks the address actually connected to.
 */
export class ConnectionPools {
  private readonly pools = new Map<string, Pool>()

  constructor(private readonly lookup: LookupFunction | undefined) {}

  get(key: string, url: URL, concurrency: number): Pool {
    const id = `${key}|${url.origin}|${concurrency}`
    let pool = this.pools.get(id)
    if (!pool) {
      pool = new Pool(url.origin, { connections: concurrency, ...(this.lookup ? { connect: { lookup: this.lookup } } : {}) })
      this.pools.set(id, pool)
    }
    return pool
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((pool) => pool.destroy()))
  }
}

/** `user:password@` of the URL as Basic auth, unless the endpoint sets its own Authorization header. */
function withUrlAuth(url: URL, headers: Record<string, string>): Record<string, string> {
  if (!url.username && !url.password) return headers
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers
  const credentials = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')
  return { ...headers, authorization: `Basic ${credentials}` }
}

/** One POST with its own deadline (connection included); never throws. Redirects are not followed. */
export function attempt(request: AttemptRequest, pool: Dispatcher, blockPrivate: boolean): Promise<AttemptResult> {
  const { url } = request
  // An IP literal is connected to without a lookup: check it here.
  const literal = url.hostname.replace(/^\[|\]$/g, '')
  if (blockPrivate && isIP(literal) && isPrivateAddress(literal)) {
    return Promise.resolve({ ok: false, retryable: false, error: new PrivateAddressError(url.hostname, literal).message })
  }
  return new Promise((resolve) => {
    let settled = false
    let abort: ((reason: Error) => void) | undefined
    let status = 0
    let retryAfter: string | string[] | undefined
    // Kept for error responses only; 2xx bodies are read and dropped so the connection is reused.
    let snippet: Buffer[] | undefined
    let size = 0
    const finish = (result: AttemptResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => {
      finish({ ok: false, retryable: true, error: `timed out after ${request.timeoutMs} ms` })
      abort?.(new Error('attempt timed out'))
    }, request.timeoutMs)
    const handler: Dispatcher.DispatchHandler = {
      // Called once a connection is ready to carry the request; past the deadline it is not sent.
      onRequestStart(controller) {
        if (settled) controller.abort(new Error('attempt timed out'))
        else abort = (reason) => controller.abort(reason)
      },
      onResponseStart(_controller, statusCode, headers) {
        status = statusCode
        if (statusCode >= 200 && statusCode < 300) return
        retryAfter = headers['retry-after']
        snippet = []
      },
      onResponseData(_controller, chunk) {
        if (snippet && size < ERROR_SNIPPET) snippet.push(chunk)
        size += chunk.length
      },
      onResponseEnd() {
        if (status >= 200 && status < 300) return finish({ ok: true, status })
        const text = Buffer.concat(snippet ?? []).toString('utf8').slice(0, ERROR_SNIPPET).replace(/\s+/g, ' ').trim()
        const retryAfterMs = parseRetryAfter(retryAfter)
        finish({
          ok: false,
          retryable: isRetryableStatus(status),
          status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          error: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${text ? `: ${text}` : ''}`,
        })
      },
      onResponseError(_controller, error) {
        finish({ ok: false, retryable: !isBlocked(error), ...(status ? { status } : {}), error: describe(error) })
      },
    }
    pool.dispatch({ origin: url.origin, path: url.pathname + url.search, method: 'POST', headers: withUrlAuth(url, request.headers), body: request.body }, handler)
  })
}
