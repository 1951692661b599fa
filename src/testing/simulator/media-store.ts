// What WhatsApp's media servers hold: encrypted blobs under a direct path, and the short-lived
// upload tokens the `media_conn` IQ hands out. Clients encrypt before uploading, so the server only
// ever sees ciphertext; it checks that the body hashes to the name it was uploaded under.
import { createHash, randomBytes } from 'node:crypto'

/** Seconds an upload token (and the `media_conn` answer that carries it) stays valid. */
export const MEDIA_CONN_TTL_SECONDS = 300
/** The largest upload accepted, as advertised in `media_conn` (`maxContentLengthBytes`). */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024

/** WhatsApp's path segments by media kind, so direct paths look like the real ones (`/v/t62.7118-24/...`). */
const PATH_CLASS: Record<string, string> = {
  image: 't62.7118-24',
  video: 't62.7161-24',
  audio: 't62.7117-24',
  document: 't62.7119-24',
  sticker: 't62.15575-24',
}

export interface StoredMedia {
  /** The encrypted file as uploaded (ciphertext and its 10-byte MAC). */
  bytes: Buffer
  /** The upload path's media kind (`image`, `audio`, `document`, ...). */
  kind: string
  uploadedAt: Date
}

/** `sha256(bytes)` in the URL-safe, unpadded base64 Baileys puts in the upload path. */
export function uploadName(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url')
}

export class MediaStore {
  private readonly blobs = new Map<string, StoredMedia>()
  private readonly tokens = new Map<string, number>()

  /** A new upload token, valid for `MEDIA_CONN_TTL_SECONDS`. */
  issueToken(): string {
    const now = Date.now()
    for (const [token, expires] of this.tokens) if (expires <= now) this.tokens.delete(token)
    const token = randomBytes(24).toString('base64url')
    this.tokens.set(token, now + MEDIA_CONN_TTL_SECONDS * 1000)
    return token
  }

  isValidToken(token: string | null): boolean {
    const expires = token ? this.tokens.get(token) : undefined
    return expires !== undefined && expires > Date.now()
  }

  /** Keeps an upload and returns its direct path (path and query, as WhatsApp answers `direct_path`). */
  put(bytes: Buffer, kind: string): string {
    const file = `/v/${PATH_CLASS[kind] ?? 't62.7119-24'}/${randomBytes(12).toString('hex')}_n.enc`
    this.blobs.set(file, { bytes, kind, uploadedAt: new Date() })
    // WhatsApp signs and dates the path (oh, oe); the simulator serves by path and ignores both.
    const expires = Math.floor(Date.now() / 1000) + 30 * 24 * 60 * 60
    return `${file}?ccb=11-4&oh=${randomBytes(16).toString('hex')}&oe=${expires.toString(16).toUpperCase()}&_nc_sid=5e03e0`
  }

  /** The upload behind a direct path or URL path (the query is ignored). */
  get(path: string): StoredMedia | undefined {
    return this.blobs.get(path.split('?')[0]!)
  }

  get size(): number {
    return this.blobs.size
  }
}
