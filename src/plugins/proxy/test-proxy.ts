import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { PluginError } from '../../errors.js'
import { createProxyAgents } from './agents.js'
import { resolveProxy, type ResolvedProxy } from './config.js'

export interface TestProxyOptions {
  /**
   * `host:port` to open a tunnel to through the proxy: proves that the proxy answers, accepts the
   * credentials and reaches the target. `false` only opens a connection to the proxy itself.
   * @default 'web.whatsapp.com:443'
   */
  target?: string | false
  /** @default 10000 */
  timeoutMs?: number
}

export interface TestProxyResult {
  /** Time to a working tunnel (or connection), in ms. */
  latencyMs: number
}

function parseTarget(target: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target)
  const port = Number(match?.[2])
  if (!match || port < 1 || port > 65535) throw new PluginError('INVALID_CONFIG', `proxy check target must be host:port, got ${target}`)
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port }
}

function connectOnly(proxy: ResolvedProxy): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      proxy.protocol === 'https' ? tlsConnect({ host: proxy.host, port: proxy.port, servername: proxy.host }) : netConnect({ host: proxy.host, port: proxy.port })
    socket.once(proxy.protocol === 'https' ? 'secureConnect' : 'connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

async function withTimeout<T extends { destroy(): void }>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms (${what})`)), timeoutMs)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
    // A tunnel that opens after the deadline is closed, not leaked.
    void work.then((late) => late.destroy(), () => undefined)
  }
}

/**
 * Checks that a proxy can be used: throws `PROXY_INVALID` for a bad config and
 * `PROXY_UNREACHABLE` when the proxy does not answer, refuses the credentials or cannot reach
 * the target. Passwords never appear in the error.
 */
export async function testProxy(config: unknown, options: TestProxyOptions = {}): Promise<TestProxyResult> {
  const { target = 'web.whatsapp.com:443', timeoutMs = 10_000 } = options
  const proxy = resolveProxy(config)
  const destination = target === false ? null : parseTarget(target)
  const started = performance.now()
  const agents = destination ? await createProxyAgents(proxy) : null
  try {
    const socket = await withTimeout(
      agents && destination ? agents.tunnel(destination.host, destination.port) : connectOnly(proxy),
      timeoutMs,
      destination ? `tunnel to ${target}` : 'connection',
    )
    socket.destroy()
    return { latencyMs: Math.round(performance.now() - started) }
  } catch (error) {
    if (error instanceof PluginError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new PluginError('PROXY_UNREACHABLE', `Proxy ${proxy.safeUrl} cannot be used${destination ? ` to reach ${target}` : ''}: ${reason}`, {
      cause: error,
      details: { proxy: proxy.safeUrl, ...(destination ? { target } : {}) },
    })
  } finally {
    await agents?.close()
  }
}
