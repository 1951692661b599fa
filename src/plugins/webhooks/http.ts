import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { isIP } from 'node:net'
import { isPrivateAddress, PrivateAddressError } from '../../util/network.js'
import { isRetryableStatus, parseRetryAfter } from './retry.js'

export interface AttemptRequest {
  url: URL
  headers: Record<string, string>
  body: string
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

/**
 * Keep-alive HTTP agents per endpoint: a receiver gets at most `concurrency` connections, reused
 * across deliveries. With `blockPrivateNetworks` every new connection resolves through the
 * guarded lookup, which checks the address actually connected to.
 */
export class AgentPool {
  private readonly agents = new Map<string, HttpAgent>()

  constructor(private readonly lookup: LookupFunction | undefined) {}

  get(key: string, url: URL, concurrency: number): HttpAgent {
    const id = `${key}|${url.protocol}|${concurrency}`
    let agent = this.agents.get(id)
    if (!agent) {
      const options = { keepAlive: true, maxSockets: concurrency, ...(this.lookup ? { lookup: this.lookup } : {}) }
      agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
      this.agents.set(id, agent)
    }
    return agent
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }
}

/** One POST with its own deadline (connection included); never throws. */
export function attempt(request: AttemptRequest, agent: HttpAgent, blockPrivate: boolean): Promise<AttemptResult> {
  const { url } = request
  // An IP literal is connected to without a lookup: check it here.
  const literal = url.hostname.replace(/^\[|\]$/g, '')
  if (blockPrivate && isIP(literal) && isPrivateAddress(literal)) {
    return Promise.resolve({ ok: false, retryable: false, error: new PrivateAddressError(url.hostname, literal).message })
  }
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: AttemptResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(url, {
      method: 'POST',
      agent,
      headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
      ...(url.username || url.password ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
    })
    const timer = setTimeout(() => {
      req.destroy()
      finish({ ok: false, retryable: true, error: `timed out after ${request.timeoutMs} ms` })
    }, request.timeoutMs)
    req.on('error', (error) => {
      const blocked = error instanceof PrivateAddressError || (error as { cause?: unknown }).cause instanceof PrivateAddressError
      finish({ ok: false, retryable: !blocked, error: describe(error) })
    })
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        // Drain everything so the connection can be reused; keep only the start for the log.
        if (size < ERROR_SNIPPET) chunks.push(chunk)
        size += chunk.length
      })
      res.on('error', (error) => finish({ ok: false, retryable: true, status, error: describe(error) }))
      res.on('end', () => {
        if (status >= 200 && status < 300) return finish({ ok: true, status })
        const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_SNIPPET).replace(/\s+/g, ' ').trim()
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'])
        finish({
          ok: false,
          retryable: isRetryableStatus(status),
          status,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          error: `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}${text ? `: ${text}` : ''}`,
        })
      })
    })
    req.end(request.body)
  })
}
