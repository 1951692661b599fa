import { ValidationError } from '../../errors.js'
import { redactUrlCredentials } from '../../logger.js'
import type { StoredProxyConfig } from '../../storage/types.js'

export type ProxyProtocol = 'http' | 'https' | 'socks4' | 'socks4a' | 'socks5' | 'socks5h'

/**
 * A session's proxy: a URL (`socks5://user:pass@host:1080`), or the same in fields. `socks5h` and
 * `socks4a` let the proxy resolve host names; `socks5` and `socks4` resolve them locally.
 */
export type ProxyConfig =
  | { url: string }
  | { protocol: ProxyProtocol; host: string; port: number; username?: string; password?: string }

/** A proxy after validation. `url` carries the credentials: never log it, log `safeUrl`. */
export interface ResolvedProxy {
  protocol: ProxyProtocol
  host: string
  port: number
  url: string
  safeUrl: string
  isSocks: boolean
}

const PROTOCOLS: readonly ProxyProtocol[] = ['http', 'https', 'socks4', 'socks4a', 'socks5', 'socks5h']
const DEFAULT_PORTS: Record<ProxyProtocol, number> = { http: 80, https: 443, socks4: 1080, socks4a: 1080, socks5: 1080, socks5h: 1080 }
const FIELDS = new Set(['url', 'protocol', 'host', 'port', 'username', 'password'])

const invalid = (message: string, field = 'proxy') => new ValidationError('PROXY_INVALID', `${field} ${message}`, { details: { field } })

function fromFields(config: StoredProxyConfig): string {
  const { protocol, host, port, username, password } = config
  if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol as ProxyProtocol)) {
    throw invalid(`must be one of ${PROTOCOLS.join(', ')}`, 'proxy.protocol')
  }
  if (typeof host !== 'string' || !host || /[\s/@?#]/.test(host)) throw invalid('must be a host name or address', 'proxy.host')
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) throw invalid('must be a port from 1 to 65535', 'proxy.port')
  if (username !== undefined && typeof username !== 'string') throw invalid('must be a string', 'proxy.username')
  if (password !== undefined && typeof password !== 'string') throw invalid('must be a string', 'proxy.password')
  if (password !== undefined && !username) throw invalid('needs a username', 'proxy.password')
  const auth = username ? `${encodeURIComponent(username)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@` : ''
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `${protocol}://${auth}${bracketed}:${port}`
}

/** Validates a stored proxy config; throws `PROXY_INVALID` (the message never holds the password). */
export function resolveProxy(config: unknown): ResolvedProxy {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid('must be { url } or { protocol, host, port }')
  const stored = config as StoredProxyConfig
  const unknown = Object.keys(stored).filter((key) => !FIELDS.has(key))
  if (unknown.length) throw invalid(`has unknown fields: ${unknown.join(', ')}`)
  if (stored.url !== undefined && Object.keys(stored).length > 1) throw invalid('takes either url or the separate fields, not both')
  if (stored.url !== undefined && typeof stored.url !== 'string') throw invalid('must be a string', 'proxy.url')
  const text = stored.url ?? fromFields(stored)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalid(`is not a valid URL: ${redactUrlCredentials(text)}`, 'proxy.url')
  }
  const protocol = url.protocol.slice(0, -1) as ProxyProtocol
  if (!PROTOCOLS.includes(protocol)) throw invalid(`must use one of ${PROTOCOLS.map((p) => `${p}://`).join(', ')}`, 'proxy.url')
  if (!url.hostname) throw invalid('has no host', 'proxy.url')
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) throw invalid('must not have a path, query or fragment', 'proxy.url')
  if (url.password && !url.username) throw invalid('has a password without a username', 'proxy.url')
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[protocol]
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const href = `${protocol}://${url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : ''}${url.hostname}:${port}`
  return { protocol, host, port, url: href, safeUrl: redactUrlCredentials(href), isSocks: protocol.startsWith('socks') }
}
