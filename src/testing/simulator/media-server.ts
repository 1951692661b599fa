// The simulator's media host: an HTTPS server that plays WhatsApp's `mmg` servers. Baileys asks
// for upload hosts with the `media_conn` IQ, uploads the encrypted file to
// `https://<host>/mms/<kind>/<sha256 of the file>?auth=<token>` and gets `{ url, direct_path }`
// back; whoever receives the message downloads `https://<host><direct_path>`. HTTPS because Baileys
// builds `https://` URLs itself; the certificate is self-signed (certificate.ts), so clients pass it
// as their CA.
import { createServer, Agent, get, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { getWAUploadToServer, MEDIA_PATH_MAP, type BinaryNode, type MediaConnInfo, type SocketConfig, type WAMediaUploadFunction } from '@whiskeysockets/baileys'
import { ConnectionError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { issueSelfSignedCertificate } from './certificate.js'
import { MAX_UPLOAD_BYTES, MEDIA_CONN_TTL_SECONDS, MediaStore, uploadName } from './media-store.js'
import { iqResult } from './nodes.js'

/** Upload path prefixes (`/mms/image`, ...) to the media kind they carry; the first kind of a shared prefix wins. */
const KIND_BY_PREFIX = new Map<string, string>()
for (const [kind, prefix] of Object.entries(MEDIA_PATH_MAP)) if (!KIND_BY_PREFIX.has(prefix)) KIND_BY_PREFIX.set(prefix, kind)

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

/** The body, or undefined once it exceeds `limit` (the request is then drained, not buffered). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  }
  return size <= limit ? Buffer.concat(chunks) : undefined
}

/** `bytes=a-b` (one range, as Baileys asks for a partial download), clamped to the file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null
  if (!match) return undefined
  const start = Number(match[1])
  const end = Math.min(match[2] ? Number(match[2]) : size - 1, size - 1)
  return start <= end ? { start, end } : undefined
}

export class MediaServer {
  /** PEM of the self-signed certificate the server presents: clients trust it as their CA. */
  readonly certificate: string
  /** `host:port`, as `media_conn` announces it and Baileys puts it in URLs. */
  readonly hostname: string
  readonly store = new MediaStore()
  /** The simulated phones' own HTTPS client (trusts the certificate, keeps connections alive). */
  private readonly agent: Agent

  private constructor(
    private readonly server: Server,
    certificate: string,
    hostname: string,
    private readonly logger: Logger,
  ) {
    this.certificate = certificate
    this.hostname = hostname
    this.agent = new Agent({ ca: certificate, keepAlive: true })
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logger.warn({ err: error, method: req.method }, 'simulator media: request failed')
        if (!res.headersSent) reply(res, 500, { error: 'internal' })
        else res.destroy()
      })
    })
  }

  /** Issues the certificate and starts the HTTPS server on `host` (any free port). */
  static async start(host: string, logger: Logger): Promise<MediaServer> {
    const { cert, key } = issueSelfSignedCertificate([host])
    const server = createServer({ cert, key })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', (error) => reject(new ConnectionError('CONNECTION_FAILED', `The simulator's media server could not listen on ${host}`, { cause: error })))
      server.listen(0, host)
    })
    const { port } = server.address() as { port: number }
    // A wildcard bind is reached on loopback; an IPv6 literal needs brackets in a URL.
    const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
    return new MediaServer(server, cert, `${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`, logger)
  }

  /** `https://host:port` */
  get origin(): string {
    return `https://${this.hostname}`
  }

  /** What a `media_conn` answer holds: this host and a fresh upload token. */
  connInfo(): MediaConnInfo {
    return {
      auth: this.store.issueToken(),
      ttl: MEDIA_CONN_TTL_SECONDS,
      hosts: [{ hostname: this.hostname, maxContentLengthBytes: MAX_UPLOAD_BYTES }],
      fetchDate: new Date(),
    }
  }

  /** Answers `<iq xmlns="w:m"><media_conn/></iq>` (Baileys' refreshMediaConn). */
  answerMediaConn(request: BinaryNode): BinaryNode {
    const info = this.connInfo()
    return iqResult(request, [
      {
        tag: 'media_conn',
        attrs: { auth: info.auth, ttl: String(info.ttl), auth_ttl: String(info.ttl), max_buckets: '12' },
        content: info.hosts.map((host) => ({ tag: 'host', attrs: { hostname: host.hostname, maxContentLengthBytes: String(host.maxContentLengthBytes) } })),
      },
    ])
  }

  /** Baileys' own uploader aimed at this server, for the simulated phones (same HTTPS path as a device). */
  uploader(): WAMediaUploadFunction {
    const config = { customUploadHosts: [], fetchAgent: this.agent, logger: this.logger, options: {} } as unknown as SocketConfig
    return getWAUploadToServer(config, async () => this.connInfo())
  }

  /** Downloads a direct path over HTTPS, as a phone fetches the media of a message it received. */
  download(directPath: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      get(`${this.origin}${directPath}`, { agent: this.agent }, (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(new ConnectionError('CONNECTION_FAILED', `Media download answered HTTP ${res.statusCode}`, { details: { status: res.statusCode } }))
          return
        }
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve(Buffer.concat(chunks)))
        res.on('error', reject)
      }).on('error', reject)
    })
  }

  async close(): Promise<void> {
    this.agent.destroy()
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin)
    if (req.method === 'POST') return this.upload(req, res, url)
    if (req.method === 'GET' && url.pathname.startsWith('/v/')) return this.serve(req, res, url)
    reply(res, 404, { error: 'not found' })
  }

  private async upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const slash = url.pathname.lastIndexOf('/')
    const kind = KIND_BY_PREFIX.get(url.pathname.slice(0, slash))
    const name = url.pathname.slice(slash + 1)
    if (!kind || !name) {
      req.resume()
      return reply(res, 404, { error: 'unknown upload path' })
    }
    if (!this.store.isValidToken(url.searchParams.get('auth'))) {
      req.resume()
      return reply(res, 401, { error: 'invalid or expired media auth token (refresh media_conn)' })
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_UPLOAD_BYTES) {
      req.resume()
      return reply(res, 413, { error: 'too large' })
    }
    const body = await readBody(req, MAX_UPLOAD_BYTES)
    if (!body) return reply(res, 413, { error: 'too large' })
    // The path names the encrypted file by its SHA-256; a body that does not match is refused.
    if (uploadName(body) !== name) return reply(res, 400, { error: 'file hash mismatch' })
    const directPath = this.store.put(body, kind)
    this.logger.debug({ kind, bytes: body.length, path: directPath.split('?')[0] }, 'simulator media: upload stored')
    reply(res, 200, { url: `${this.origin}${directPath}&mms3=true`, direct_path: directPath })
  }

  private serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const media = this.store.get(url.pathname)
    if (!media) return reply(res, 404, { error: 'no such media' })
    const size = media.bytes.length
    const range = req.headers.range ? parseRange(req.headers.range, size) : undefined
    if (req.headers.range && !range) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end()
      return
    }
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' }
    if (range) {
      res.writeHead(206, { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${size}`, 'content-length': range.end - range.start + 1 })
      res.end(media.bytes.subarray(range.start, range.end + 1))
      return
    }
    res.writeHead(200, { ...headers, 'content-length': size }).end(media.bytes)
  }
}
