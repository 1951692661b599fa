// Media on a simulated phone. Receiving: the phone downloads the encrypted file from the media
// host, checks it as a phone does (SHA-256 of the upload, the 10-byte HMAC, SHA-256 and length of
// the plaintext) and decrypts it with the keys derived from the message's media key. Sending: the
// phone encrypts and uploads with Baileys' own prepareWAMessageMedia, over the same HTTPS upload
// path a device uses.
import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { getMediaKeys, normalizeMessageContent, prepareWAMessageMedia, type AnyMediaMessageContent, type proto } from '@whiskeysockets/baileys'
import type { Logger } from '../../logger.js'
import type { MediaServer } from './media-server.js'

export type SimMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker' | 'ptv'

/** A media message a simulated phone received, decrypted. */
export interface SimMedia {
  type: SimMediaType
  /** An audio sent as a voice note (push to talk). */
  ptt: boolean
  mimetype: string | undefined
  caption: string | undefined
  fileName: string | undefined
  /** Plaintext size the message announces (`fileLength`). */
  size: number
  /** The decrypted file, downloaded and verified; undefined when that failed (see `error`). */
  data: Buffer | undefined
  /** Why `data` is missing: the download, a hash, the MAC or the decryption failed. */
  error: string | undefined
}

/** The message fields that carry media, and the media type their keys are derived for (HKDF info). */
const MEDIA_FIELDS = [
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['audioMessage', 'audio'],
  ['documentMessage', 'document'],
  ['stickerMessage', 'sticker'],
  ['ptvMessage', 'ptv'],
] as const

type MediaFields = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage

/** The media part of a message (also inside a device-sent copy or a wrapper such as a document with caption). */
function findMedia(message: proto.IMessage): { type: SimMediaType; fields: MediaFields } | undefined {
  const inner = normalizeMessageContent(message.deviceSentMessage?.message ?? message)
  for (const [field, type] of MEDIA_FIELDS) {
    const fields = inner?.[field] as MediaFields | null | undefined
    if (fields) return { type, fields }
  }
  return undefined
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest()
const same = (a: Buffer, b: Uint8Array | null | undefined) => !!b && a.length === b.length && timingSafeEqual(a, Buffer.from(b))

/** Verifies and decrypts an encrypted media file (AES-256-CBC, then the first 10 bytes of an HMAC-SHA256). */
async function decrypt(encrypted: Buffer, mediaKey: Uint8Array, type: SimMediaType, fields: MediaFields): Promise<Buffer> {
  if (!same(sha256(encrypted), fields.fileEncSha256)) throw new Error('the downloaded file does not match fileEncSha256')
  const { iv, cipherKey, macKey } = await getMediaKeys(mediaKey, type)
  if (!macKey) throw new Error('no MAC key derived from the media key')
  const ciphertext = encrypted.subarray(0, -10)
  const mac = createHmac('sha256', macKey).update(iv).update(ciphertext).digest().subarray(0, 10)
  if (!same(mac, encrypted.subarray(-10))) throw new Error('media MAC mismatch (wrong media key?)')
  const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv)
  const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()])
  if (!same(sha256(plain), fields.fileSha256)) throw new Error('the decrypted file does not match fileSha256')
  if (fields.fileLength !== null && fields.fileLength !== undefined && Number(fields.fileLength) !== plain.length) {
    throw new Error(`the decrypted file has ${plain.length} bytes, the message announced ${Number(fields.fileLength)}`)
  }
  return plain
}

/**
 * The media of a received message, downloaded from the simulator's media host and decrypted; undefined
 * for a message without media. Failures are reported in `error`, not thrown: the message still arrived.
 */
export async function receiveMedia(media: MediaServer, message: proto.IMessage): Promise<SimMedia | undefined> {
  const found = findMedia(message)
  if (!found) return undefined
  const { type, fields } = found
  const described = {
    type,
    ptt: !!fields.ptt,
    mimetype: fields.mimetype ?? undefined,
    caption: fields.caption ?? undefined,
    fileName: fields.fileName ?? undefined,
    size: Number(fields.fileLength ?? 0),
  }
  try {
    const { directPath, mediaKey } = fields
    if (!directPath || !mediaKey) throw new Error('the message has no directPath or mediaKey')
    // The media host is the simulator's own: a URL elsewhere (real WhatsApp) is never fetched.
    const data = await decrypt(await media.download(directPath), mediaKey, type, fields)
    return { ...described, data, error: undefined }
  } catch (error) {
    return { ...described, data: undefined, error: (error as Error).message }
  }
}

/** Encrypts and uploads a file for a phone to send, as Baileys does for a device: the media message to send. */
export async function prepareMedia(media: MediaServer, content: AnyMediaMessageContent, logger: Logger): Promise<proto.IMessage> {
  return prepareWAMessageMedia(content, { upload: media.uploader(), logger: logger as unknown as Parameters<typeof prepareWAMessageMedia>[1]['logger'] })
}
