import type { Readable } from 'node:stream'
import type { AnyMessageContent } from '@whiskeysockets/baileys'
import { SendError, ValidationError } from '../errors.js'
import { assertPublicHost, PrivateAddressError } from '../util/network.js'

export type MediaType = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker'
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'video', 'audio', 'voice', 'document', 'sticker']

export interface MediaInput {
  /** http(s) URL to download (through the session's proxy, when it has one). */
  url?: string
  /** Base64 data, optionally as a data URL (`data:image/png;base64,...`). */
  base64?: string
  buffer?: Uint8Array
  stream?: Readable | AsyncIterable<Uint8Array>
  /** Detected from the data, the URL's response or the file name when omitted. */
  mimetype?: string
  caption?: string
  fileName?: string
  /** Inferred from the mimetype when omitted (`voice` sends an audio as a voice note). */
  type?: MediaType
  /** Video only: play as a GIF. */
  gifPlayback?: boolean
}

export interface MediaLoadOptions {
  maxBytes: number
  timeoutMs: number
  /** `fetch` options for URL downloads, e.g. `{ dispatcher }` for a proxy. */
  fetchOptions?: Record<string, unknown>
  /** Refuse URLs (and redirects) whose host resolves to a loopback or private address. */
  blockPrivateNetworks?: boolean
}

const MAX_REDIRECTS = 5

interface LoadedMedia {
  data: Buffer
  mimetype: string | undefined
}

const tooLarge = (maxBytes: number, size?: number) =>
  new ValidationError('PAYLOAD_TOO_LARGE', `Media is larger than the limit of ${maxBytes} bytes`, {
    details: { maxBytes, ...(size === undefined ? {} : { size }) },
  })

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/
const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,/

function fromBase64(input: string, maxBytes: number): LoadedMedia {
  const match = DATA_URL.exec(input)
  const body = (match ? input.slice(match[0].length) : input).replace(/\s/g, '')
  if (Math.floor((body.length * 3) / 4) > maxBytes + 2) throw tooLarge(maxBytes)
  if (!body || !BASE64.test(body)) {
    throw new ValidationError('VALIDATION_ERROR', 'media.base64 is not valid base64', { details: { field: 'base64' } })
  }
  const data = Buffer.from(body, 'base64')
  if (data.length > maxBytes) throw tooLarge(maxBytes, data.length)
  return { data, mimetype: match?.[1] }
}

async function collect(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of source) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge(maxBytes)
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks, size)
}

async function fromUrl(url: string, options: MediaLoadOptions): Promise<LoadedMedia> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ValidationError('VALIDATION_ERROR', 'media.url is not a valid URL', { details: { field: 'url' } })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ValidationError('VALIDATION_ERROR', 'media.url must be http or https', { details: { field: 'url' } })
  }
  const failed = (reason: string, cause?: unknown) =>
    new SendError('MEDIA_DOWNLOAD_FAILED', `Could not download media: ${reason}`, { cause, details: { host: parsed.host, reason } })
  let response: Response
  try {
    response = await fetchFollowingRedirects(parsed, options)
  } catch (error) {
    if (error instanceof PrivateAddressError) {
      throw new ValidationError('VALIDATION_ERROR', 'media.url points to a loopback or private address (blockPrivateNetworks)', {
        details: { field: 'url' },
      })
    }
    throw failed(error instanceof Error ? error.message : String(error), error)
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel()
    throw failed(`HTTP ${response.status}`)
  }
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body.cancel()
    throw tooLarge(options.maxBytes, declared)
  }
  try {
    const data = await collect(response.body as unknown as AsyncIterable<Uint8Array>, options.maxBytes)
    return { data, mimetype: response.headers.get('content-type')?.split(';')[0]?.trim() || undefined }
  } catch (error) {
    if (error instanceof ValidationError) throw error
    throw failed(error instanceof Error ? error.message : String(error), error)
  }
}

/**
 * Follows redirects by hand so that, with `blockPrivateNetworks`, every hop is checked before it
 * is requested (a public URL must not bounce the download into the internal network).
 */
async function fetchFollowingRedirects(start: URL, options: MediaLoadOptions): Promise<Response> {
  const signal = AbortSignal.timeout(options.timeoutMs)
  let url = start
  for (let hop = 0; ; hop++) {
    if (options.blockPrivateNetworks) await assertPublicHost(url.hostname)
    const response = await fetch(url, { ...options.fetchOptions, signal, redirect: 'manual' } as RequestInit)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) return response
    await response.body?.cancel()
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`)
    url = new URL(location, url)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`redirect to ${url.protocol} refused`)
  }
}

/** Magic numbers for the formats people send most; anything else needs `mimetype` or a file name. */
function sniffMimetype(data: Buffer): string | undefined {
  const hex = data.subarray(0, 12).toString('hex')
  if (hex.startsWith('ffd8ff')) return 'image/jpeg'
  if (hex.startsWith('89504e47')) return 'image/png'
  if (hex.startsWith('47494638')) return 'image/gif'
  if (hex.startsWith('52494646') && hex.slice(16, 24) === '57454250') return 'image/webp'
  if (hex.startsWith('25504446')) return 'application/pdf'
  if (hex.startsWith('4f676753')) return 'audio/ogg'
  if (hex.startsWith('494433') || hex.startsWith('fffb')) return 'audio/mpeg'
  if (hex.slice(8, 16) === '66747970') return 'video/mp4'
  return undefined
}

const EXTENSIONS: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}

function mimetypeFromName(fileName: string | undefined): string | undefined {
  const ext = fileName?.split('.').pop()?.toLowerCase()
  return ext ? EXTENSIONS[ext] : undefined
}

function typeFromMimetype(mimetype: string): MediaType {
  if (mimetype.startsWith('image/')) return 'image'
  if (mimetype.startsWith('video/')) return 'video'
  if (mimetype.startsWith('audio/')) return 'audio'
  return 'document'
}

/** Checks the input synchronously, so a bad request fails before anything is queued or downloaded. */
export function assertMediaInput(input: MediaInput): void {
  if (!input || typeof input !== 'object') {
    throw new ValidationError('VALIDATION_ERROR', 'media must be an object', { details: { field: 'media' } })
  }
  const sources = (['url', 'base64', 'buffer', 'stream'] as const).filter((key) => input[key] !== undefined)
  if (sources.length !== 1) {
    throw new ValidationError('VALIDATION_ERROR', 'media needs exactly one of url, base64, buffer or stream', {
      details: { field: 'media', given: sources },
    })
  }
  if (input.type !== undefined && !MEDIA_TYPES.includes(input.type)) {
    throw new ValidationError('VALIDATION_ERROR', `media.type must be one of ${MEDIA_TYPES.join(', ')}`, { details: { field: 'type' } })
  }
  if (input.buffer !== undefined && !(input.buffer instanceof Uint8Array)) {
    throw new ValidationError('VALIDATION_ERROR', 'media.buffer must be a Buffer or Uint8Array', { details: { field: 'buffer' } })
  }
}

async function load(input: MediaInput, options: MediaLoadOptions): Promise<LoadedMedia> {
  if (input.base64 !== undefined) return fromBase64(input.base64, options.maxBytes)
  if (input.url !== undefined) return fromUrl(input.url, options)
  if (input.buffer !== undefined) {
    if (input.buffer.length > options.maxBytes) throw tooLarge(options.maxBytes, input.buffer.length)
    return { data: Buffer.from(input.buffer), mimetype: undefined }
  }
  return { data: await collect(input.stream as AsyncIterable<Uint8Array>, options.maxBytes), mimetype: undefined }
}

/**
 * Loads the media (bounded by `maxBytes`) and builds Baileys' message content for it. Media is
 * read into memory first so the size limit holds for every source and the type can be detected.
 */
export async function buildMediaContent(input: MediaInput, options: MediaLoadOptions): Promise<AnyMessageContent> {
  assertMediaInput(input)
  const loaded = await load(input, options)
  if (loaded.data.length === 0) throw new ValidationError('VALIDATION_ERROR', 'media is empty', { details: { field: 'media' } })
  const mimetype =
    input.mimetype ?? loaded.mimetype ?? sniffMimetype(loaded.data) ?? mimetypeFromName(input.fileName) ?? 'application/octet-stream'
  const type = input.type ?? typeFromMimetype(mimetype)
  const caption = input.caption
  switch (type) {
    case 'image':
      return { image: loaded.data, mimetype, ...(caption ? { caption } : {}) }
    case 'video':
      return { video: loaded.data, mimetype, ...(caption ? { caption } : {}), ...(input.gifPlayback ? { gifPlayback: true } : {}) }
    case 'audio':
      return { audio: loaded.data, mimetype, ptt: false }
    case 'voice':
      // WhatsApp plays voice notes only as Ogg/Opus.
      return { audio: loaded.data, mimetype: 'audio/ogg; codecs=opus', ptt: true }
    case 'sticker':
      return { sticker: loaded.data, mimetype: input.mimetype ?? 'image/webp' }
    case 'document':
      return {
        document: loaded.data,
        mimetype,
        fileName: input.fileName ?? 'file',
        ...(caption ? { caption } : {}),
      }
  }
}
