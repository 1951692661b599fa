import { createServer, request, type Agent, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { UserFacingSocketConfig } from '@whiskeysockets/baileys'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { baileysSocketFactory, createMemoryStorage, createSilentLogger, SessionManager, type SessionManagerOptions } from '../../src/index.js'
import { proxy, resolveProxy, testProxy } from '../../src/plugins/proxy/index.js'
import { startHttpProxy, startSocks5Proxy, type TestProxy } from './helpers/proxies.js'
import { until } from './helpers/until.js'

const AUTH = { username: 'fleet', password: 's3cr3t-pass' }
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Stands in for WhatsApp's WebSocket endpoint and records who connected (as seen by the server). */
async function startWhatsAppStandIn() {
  const seen: { remotePort: number; url: string }[] = []
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', resolve))
  wss.on('connection', (_ws, req) => seen.push({ remotePort: req.socket.remotePort!, url: req.url! }))
  const { port } = wss.address() as AddressInfo
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close(() => resolve())
  }))
  return { port, url: `ws://127.0.0.1:${port}/ws/chat`, seen }
}

/** A plain HTTP server (media host stand-in) that records the remote port of each request. */
async function startMediaHost() {
  const seen: number[] = []
  const server = createServer((req, res) => {
    seen.push(req.socket.remotePort!)
    res.end('media-bytes')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { port, url: `http://127.0.0.1:${port}/file`, seen }
}

async function started<T extends TestProxy>(proxyServer: Promise<T>): Promise<T> {
  const p = await proxyServer
  cleanups.push(() => p.close())
  return p
}

/** A manager on the real Baileys socket factory, recording the config each socket was built with. */
async function managerWith(wsUrl: string, checkTarget: string, extra: Partial<SessionManagerOptions> = {}) {
  const configs: UserFacingSocketConfig[] = []
  const manager = new SessionManager({
    storage: createMemoryStorage(),
    logger: createSilentLogger(),
    baileys: { waWebSocketUrl: wsUrl, connectTimeoutMs: 3_000 },
    reconnect: { minDelayMs: 50, maxDelayMs: 100, maxAttempts: 3 },
    socketFactory: (options) => {
      configs.push(options.config)
      return baileysSocketFactory(options)
    },
    plugins: [proxy({ checkTarget, checkTimeoutMs: 3_000 })],
    ...extra,
  })
  await manager.start()
  cleanups.push(() => manager.stop())
  return { manager, configs }
}


function getThrough(agent: Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res: IncomingMessage) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve(body))
    })
      .on('error', reject)
      .end()
  })
}

describe.each([
  ['HTTP CONNECT', () => startHttpProxy(AUTH)],
  ['SOCKS5', () => startSocks5Proxy(AUTH)],
])('a session behind a %s proxy', (_kind, startProxy) => {
  it('opens its WebSocket through the proxy, and media upload and fetch go through it too', async () => {
    const whatsapp = await startWhatsAppStandIn()
    const media = await startMediaHost()
    const p = await started(startProxy())
    const { manager, configs } = await managerWith(whatsapp.url, `127.0.0.1:${whatsapp.port}`)
    const session = await manager.create({ name: 'proxied', proxy: { url: p.url } })
    expect(p.tunnels).toHaveLength(1) // the check at create time
    await session.connect()
    await until(() => whatsapp.seen.length > 0, 'the WebSocket to arrive')
    // The WhatsApp side was reached by the proxy's upstream socket, not by the session directly.
    const tunnel = p.tunnels.find((t) => t.upstreamPort === whatsapp.seen[0]!.remotePort)
    expect(tunnel).toEqual({ target: `127.0.0.1:${whatsapp.port}`, upstreamPort: whatsapp.seen[0]!.remotePort })
    expect(whatsapp.seen[0]!.url).toBe('/ws/chat')

    const config = configs.at(-1)!
    expect(config.fetchAgent).toBe(config.agent)
    // Media upload path (https.request with fetchAgent) and the fetch path (options.dispatcher).
    expect(await getThrough(config.fetchAgent as unknown as Agent, media.url)).toBe('media-bytes')
    const response = await fetch(media.url, { dispatcher: (config.options as { dispatcher: unknown }).dispatcher } as RequestInit)
    expect(await response.text()).toBe('media-bytes')
    expect(media.seen).toHaveLength(2)
    for (const remotePort of media.seen) expect(p.tunnels.some((t) => t.upstreamPort === remotePort && t.target === `127.0.0.1:${media.port}`)).toBe(true)
    await session.disconnect()
  })
})

describe('proxy configuration', () => {
  it('refuses invalid proxies with PROXY_INVALID, never echoing the password', () => {
    const bad: unknown[] = [
      { url: 'ftp://host:21' },
      { url: 'not a url' },
      { url: 'http://user:hunter2-secret@host:8080/path' },
      { url: 'http://:hunter2-secret@host:8080' },
      { url: 'socks5://host:1080', host: 'x' },
      { protocol: 'socks6', host: 'h', port: 1 },
      { protocol: 'http', host: 'h', port: 70_000 },
      { protocol: 'http', host: 'h', port: 80, password: 'hunter2-secret' },
      { url: 'http://h:1', extra: true },
      'http://h:1',
    ]
    for (const config of bad) {
      let error: unknown
      try {
        resolveProxy(config)
      } catch (caught) {
        error = caught
      }
      expect(error, JSON.stringify(config)).toMatchObject({ code: 'PROXY_INVALID' })
      expect((error as Error).message).not.toContain('hunter2')
    }
    expect(resolveProxy({ protocol: 'socks5h', host: '10.0.0.1', port: 1080, username: 'u@x', password: 'p:w' })).toMatchObject({
      url: 'socks5h://u%40x:p%3Aw@10.0.0.1:1080',
      safeUrl: 'socks5h://u%40x:[redacted]@10.0.0.1:1080',
      isSocks: true,
    })
    expect(resolveProxy({ url: 'http://proxy.local' })).toMatchObject({ port: 80, url: 'http://proxy.local:80' })
  })

  it('testProxy: reachable, unreachable, wrong credentials', async () => {
    const media = await startMediaHost()
    const target = `127.0.0.1:${media.port}`
    const http = await started(startHttpProxy(AUTH))
    const socks = await started(startSocks5Proxy(AUTH))
    expect(await testProxy({ url: http.url }, { target })).toEqual({ latencyMs: expect.any(Number) })
    expect(await testProxy({ url: socks.url }, { target })).toEqual({ latencyMs: expect.any(Number) })
    expect(await testProxy({ url: `http://127.0.0.1:${http.port}` }, { target: false })).toEqual({ latencyMs: expect.any(Number) })
    for (const url of [`http://fleet:wrong-password@127.0.0.1:${http.port}`, `socks5://fleet:wrong-password@127.0.0.1:${socks.port}`]) {
      const error = await testProxy({ url }, { target }).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'PROXY_UNREACHABLE' })
      expect((error as Error).message).not.toContain('wrong-password')
    }
    expect(http.refused + socks.refused).toBe(2)
    await http.close()
    await expect(testProxy({ url: http.url }, { target })).rejects.toMatchObject({ code: 'PROXY_UNREACHABLE' })
    await expect(testProxy({ url: http.url }, { target: false })).rejects.toMatchObject({ code: 'PROXY_UNREACHABLE' })
  })

  it('create and update refuse a bad or unreachable proxy and keep the old config', async () => {
    const whatsapp = await startWhatsAppStandIn()
    const good = await started(startHttpProxy())
    const down = await startHttpProxy()
    await down.close()
    const { manager } = await managerWith(whatsapp.url, `127.0.0.1:${whatsapp.port}`)
    await expect(manager.create({ name: 'x', proxy: { url: down.url } })).rejects.toMatchObject({ code: 'PROXY_UNREACHABLE' })
    await expect(manager.create({ name: 'x', proxy: { url: 'gopher://h:1' } })).rejects.toMatchObject({ code: 'PROXY_INVALID' })
    expect((await manager.list()).items).toHaveLength(0)
    const session = await manager.create({ name: 'x', proxy: { url: good.url } })
    await expect(session.update({ proxy: { url: down.url } })).rejects.toMatchObject({ code: 'PROXY_UNREACHABLE' })
    expect(session.proxy).toEqual({ url: good.url })
    await session.update({ proxy: null })
    expect(session.proxy).toBeNull()
  })

  it('never falls back to a direct connection when the proxy goes away', async () => {
    const whatsapp = await startWhatsAppStandIn()
    const p = await startHttpProxy()
    const { manager, configs } = await managerWith(whatsapp.url, `127.0.0.1:${whatsapp.port}`)
    const session = await manager.create({ name: 'stranded', proxy: { url: p.url } })
    await p.close()
    const statuses: string[] = []
    session.on('session.status', ({ status }) => statuses.push(status))
    await session.connect()
    await until(() => statuses.includes('reconnecting'), 'a failed attempt')
    expect(whatsapp.seen).toHaveLength(0)
    expect(configs.every((config) => config.agent !== undefined)).toBe(true)
    await session.disconnect()
  })

  it('a session without a proxy connects directly (no agents set)', async () => {
    const whatsapp = await startWhatsAppStandIn()
    const { manager, configs } = await managerWith(whatsapp.url, `127.0.0.1:${whatsapp.port}`)
    const session = await manager.create({ name: 'direct' })
    await session.connect()
    await until(() => whatsapp.seen.length > 0, 'the WebSocket to arrive')
    expect(configs[0]!.agent).toBeUndefined()
    expect(configs[0]!.fetchAgent).toBeUndefined()
    await session.disconnect()
  })
})
