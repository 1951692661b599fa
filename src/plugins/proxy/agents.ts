import { EventEmitter } from 'node:events'
import type { Agent as HttpAgent } from 'node:http'
import type { Duplex } from 'node:stream'
import { Agent, buildConnector, ProxyAgent, type Dispatcher } from 'undici'
import { loadPeer } from '../optional-peer.js'
import type { ResolvedProxy } from './config.js'

/** The agent-base API both proxy agents implement: open a tunnel to host:port through the proxy. */
interface TunnelAgent extends HttpAgent {
  connect(req: EventEmitter, options: { host: string; port: number; secureEndpoint: boolean }): Promise<Duplex | HttpAgent>
}

/**
 * Everything a session needs to reach WhatsApp through one proxy. Baileys uses three paths:
 * the WebSocket (`agent`), media upload with `https.request` (`fetchAgent`, an http.Agent), and
 * `fetch` for downloads, link previews and version checks (`options.dispatcher`, undici). A proxy
 * set on fewer of them leaks traffic past it (Baileys #2758, #450).
 */
export interface ProxyAgents {
  /** For `agent` and `fetchAgent`. */
  agent: HttpAgent
  /** For `options.dispatcher` (global fetch and undici). */
  dispatcher: Dispatcher
  /** Opens a raw tunnel to host:port, for reachability checks. Rejects when the proxy refuses. */
  tunnel(host: string, port: number): Promise<Duplex>
  close(): Promise<void>
}

/**
 * agent-base's `connect(req, opts)` reports through `req` (e.g. `proxyConnect` with the CONNECT
 * answer) and destroys it on failure; a tunnel opened outside an HTTP request gets this stand-in.
 */
function standInRequest(): EventEmitter & { destroy(): void } {
  return Object.assign(new EventEmitter(), { destroy: () => undefined })
}

async function openTunnel(agent: TunnelAgent, proxy: ResolvedProxy, host: string, port: number): Promise<Duplex> {
  const req = standInRequest()
  let refused: number | undefined
  // https-proxy-agent answers a refused CONNECT (407, 403, 502) with a socket that replays the
  // proxy's response; the status arrives on `proxyConnect` first.
  req.on('proxyConnect', (answer: { statusCode?: number }) => {
    if (answer.statusCode !== 200) refused = answer.statusCode
  })
  const socket = await agent.connect(req, { host, port, secureEndpoint: false })
  if (!('write' in socket)) throw new Error(`the proxy agent returned no socket for ${host}:${port}`)
  if (refused !== undefined) {
    socket.destroy()
    throw new Error(`${proxy.safeUrl} refused CONNECT ${host}:${port} with HTTP ${refused}`)
  }
  return socket
}

export async function createProxyAgents(proxy: ResolvedProxy): Promise<ProxyAgents> {
  let agent: TunnelAgent
  let dispatcher: Dispatcher
  if (proxy.isSocks) {
    const { SocksProxyAgent } = await loadPeer('proxy', 'socks-proxy-agent', () => import('socks-proxy-agent'))
    agent = new SocksProxyAgent(proxy.url) as unknown as TunnelAgent
    // undici has no SOCKS4 support (and SOCKS5 only as experimental): its connections are opened
    // through the same SOCKS agent, then TLS is added by undici's own connector when needed.
    const tls = buildConnector({})
    dispatcher = new Agent({
      connect(options, callback) {
        const https = options.protocol === 'https:'
        const port = Number(options.port) || (https ? 443 : 80)
        openTunnel(agent, proxy, options.hostname, port).then(
          (socket) => (https ? tls({ ...options, httpSocket: socket } as never, callback) : callback(null, socket as never)),
          (error: Error) => callback(error, null),
        )
      },
    })
  } else {
    const { HttpsProxyAgent } = await loadPeer('proxy', 'https-proxy-agent', () => import('https-proxy-agent'))
    agent = new HttpsProxyAgent(proxy.url) as unknown as TunnelAgent
    dispatcher = new ProxyAgent({ uri: proxy.url })
  }
  return {
    agent,
    dispatcher,
    tunnel: (host, port) => openTunnel(agent, proxy, host, port),
    async close() {
      agent.destroy()
      await dispatcher.close().catch(() => undefined)
    },
  }
}
