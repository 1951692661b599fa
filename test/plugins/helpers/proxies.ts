/**
 * Real proxy servers for tests, on 127.0.0.1: an HTTP CONNECT proxy and a SOCKS5 proxy, both with
 * optional username/password. Each records the tunnels it opened and the local port of its
 * upstream socket, so a test can tie a connection seen by a server to the proxy that made it.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface Tunnel {
  /** host:port the client asked for. */
  target: string
  /** Local port of the proxy's socket to the target (the target sees it as the remote port). */
  upstreamPort: number
}

export interface TestProxy {
  port: number
  url: string
  tunnels: Tunnel[]
  /** Requests refused (bad or missing credentials). */
  refused: number
  close(): Promise<void>
}

function pipeTo(client: Socket, host: string, port: number, proxy: TestProxy, ready: (ok: boolean) => void): void {
  const upstream = connect({ host, port }, () => {
    proxy.tunnels.push({ target: `${host}:${port}`, upstreamPort: upstream.localPort! })
    ready(true)
    upstream.pipe(client)
    client.pipe(upstream)
  })
  upstream.on('error', () => {
    ready(false)
    client.destroy()
  })
  client.on('error', () => upstream.destroy())
  client.on('close', () => upstream.destroy())
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

export async function startHttpProxy(auth?: { username: string; password: string }): Promise<TestProxy> {
  const server = createHttpServer()
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  const proxy = { tunnels: [] as Tunnel[], refused: 0 } as TestProxy
  const expected = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    if (expected && req.headers['proxy-authorization'] !== expected) {
      proxy.refused++
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))]
    pipeTo(client, host, port, proxy, (ok) => client.write(ok ? 'HTTP/1.1 200 Connection Established\r\n\r\n' : 'HTTP/1.1 502 Bad Gateway\r\n\r\n'))
  })
  const port = await listen(server as unknown as Server)
  const credentials = auth ? `${auth.username}:${auth.password}@` : ''
  return Object.assign(proxy, { port, url: `http://${credentials}127.0.0.1:${port}`, close: closer(server as unknown as Server, sockets) })
}

/** Reads exact byte counts from a socket as they arrive. */
function reader(socket: Socket): (count: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0)
  let waiting: { count: number; resolve: (b: Buffer) => void } | null = null
  const flush = () => {
    if (waiting && buffered.length >= waiting.count) {
      const out = buffered.subarray(0, waiting.count)
      buffered = buffered.subarray(waiting.count)
      const { resolve } = waiting
      waiting = null
      resolve(out)
    }
  }
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    flush()
  })
  return (count) =>
    new Promise((resolve) => {
      waiting = { count, resolve }
      flush()
    })
}

/** SOCKS5 (RFC 1928) with the username/password method (RFC 1929); CONNECT only. */
export async function startSocks5Proxy(auth?: { username: string; password: string }): Promise<TestProxy> {
  const sockets = new Set<Socket>()
  const proxy = { tunnels: [] as Tunnel[], refused: 0 } as TestProxy
  const server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const read = reader(client)
    void (async () => {
      const [, methodCount] = await read(2)
      const methods = [...(await read(methodCount!))]
      const wanted = auth ? 0x02 : 0x00
      if (!methods.includes(wanted)) return client.end(Buffer.from([0x05, 0xff]))
      client.write(Buffer.from([0x05, wanted]))
      if (auth) {
        const [, userLength] = await read(2)
        const username = (await read(userLength!)).toString()
        const [passwordLength] = await read(1)
        const password = (await read(passwordLength!)).toString()
        if (username !== auth.username || password !== auth.password) {
          proxy.refused++
          return client.end(Buffer.from([0x01, 0x01]))
        }
        client.write(Buffer.from([0x01, 0x00]))
      }
      const [, command, , type] = await read(4)
      let host: string
      if (type === 0x01) host = [...(await read(4))].join('.')
      else if (type === 0x03) host = (await read((await read(1))[0]!)).toString()
      else host = ((await read(16)).toString('hex').match(/.{4}/g) ?? []).join(':')
      const port = (await read(2)).readUInt16BE()
      if (command !== 0x01) return client.end(Buffer.from([0x05, 0x07, 0x00, 0x01, 0, 0, 0, 0, 0, 0]))
      // Stop reading here: from now on the client socket is piped to the target.
      client.removeAllListeners('data')
      pipeTo(client, host, port, proxy, (ok) => client.write(Buffer.from([0x05, ok ? 0x00 : 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0])))
    })()
  })
  const port = await listen(server)
  const credentials = auth ? `${auth.username}:${auth.password}@` : ''
  return Object.assign(proxy, { port, url: `socks5://${credentials}127.0.0.1:${port}`, close: closer(server, sockets) })
}
