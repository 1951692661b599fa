import { BufferJSON } from '@whiskeysockets/baileys'
import { StorageError } from '../errors.js'
import { createCipher, FORMAT_ENCRYPTED, type EncryptionOptions, type ValueCipher } from './encryption.js'

/**
 * Values handed to adapters are bytes with a one-byte format tag, so the format can evolve:
 * 0x01 = BufferJSON-compatible JSON (UTF-8), 0x03 = a bare byte array as is (Signal sessions, sender
 * keys and identity keys, the values of every message), 0x02 = AES-256-GCM envelope around either.
 */
export const FORMAT_JSON = 0x01
export const FORMAT_BYTES = 0x03

/** Whether `tag` starts a plaintext value (what an encrypted envelope may hold). */
export const isPlainFormat = (tag: number | undefined) => tag === FORMAT_JSON || tag === FORMAT_BYTES

export interface ValueCodec {
  /** `context` names the slot the value is stored in; encryption binds it as associated data. */
  encode(value: unknown, context: string): Uint8Array
  decode<T = unknown>(bytes: Uint8Array, context: string): T
  /** True when the bytes are not written with the current format and key (used by re-encryption). */
  isStale(bytes: Uint8Array): boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

/**
 * Produces what `JSON.stringify(value, BufferJSON.replacer)` would serialize, without going through
 * `Buffer.prototype.toJSON` (an array of one number per byte, then base64 of it): several times
 * faster on the byte-heavy values Baileys stores, and byte-identical output.
 */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { type: 'Buffer', data: toBase64(value) }
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (value === null || typeof value !== 'object') return value
  const candidate = value as { toJSON?: () => unknown; type?: unknown; data?: unknown }
  if (typeof candidate.toJSON === 'function') return toJsonValue(candidate.toJSON())
  if (candidate.type === 'Buffer') {
    // BufferJSON re-encodes any Buffer-shaped object: an array of numbers or a string as UTF-8.
    return { type: 'Buffer', data: Buffer.from((candidate.data || value) as string).toString('base64') }
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) out[key] = toJsonValue((value as Record<string, unknown>)[key])
  return out
}

/**
 * The same text for the commonest value Baileys stores, a plain object of byte arrays (every
 * pre-key and signed pre-key is `{ public, private }`), written directly: a first login encodes
 * 812 of them at once. Anything else returns undefined and takes the general path.
 */
function byteRecordJson(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || Array.isArray(value)) return undefined
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return undefined
  let text = '{'
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key]
    if (!(field instanceof Uint8Array)) return undefined
    text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:{"type":"Buffer","data":"${toBase64(field)}"}`
  }
  return `${text}}`
}

/**
 * A bare byte array is stored as its bytes: as JSON it would be base64 inside an object, a third
 * larger and, for a group send's 256 sessions, most of the time spent in storage.
 */
function encodeBytes(value: Uint8Array): Uint8Array {
  const out = new Uint8Array(value.byteLength + 1)
  out[0] = FORMAT_BYTES
  out.set(value, 1)
  return out
}

/** A copy, as a Buffer like BufferJSON's reviver gives: the caller may keep or change it freely. */
const decodeBytes = (bytes: Uint8Array) => Buffer.from(bytes.subarray(1))

function encodePlain(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? encodeBytes(value) : encodeJson(value)
}

function decodePlain<T>(bytes: Uint8Array, context: string): T {
  return (bytes[0] === FORMAT_BYTES ? decodeBytes(bytes) : decodeJson<T>(bytes, context)) as T
}

function encodeJson(value: unknown): Uint8Array {
  const text = byteRecordJson(value) ?? JSON.stringify(toJsonValue(value))
  // Its own ArrayBuffer (not a slice of Buffer's shared pool): adapters may keep the value as is.
  const out = new Uint8Array(Buffer.byteLength(text) + 1)
  out[0] = FORMAT_JSON
  encoder.encodeInto(text, out.subarray(1))
  return out
}

function decodeJson<T>(bytes: Uint8Array, context: string): T {
  try {
    return JSON.parse(decoder.decode(bytes.subarray(1)), BufferJSON.reviver) as T
  } catch (error) {
    // A corrupt value must never turn into "missing": callers would re-pair over live credentials.
    throw new StorageError('CODEC_ERROR', `Stored value for ${context} is corrupt and cannot be decoded`, {
      cause: error,
      details: { context },
    })
  }
}

export interface CodecOptions {
  /** Encrypt credentials and Signal keys before any adapter sees them. */
  encryption?: EncryptionOptions
}

export function createValueCodec(options: CodecOptions = {}): ValueCodec {
  const cipher: ValueCipher | undefined = options.encryption ? createCipher(options.encryption) : undefined

  return {
    encode(value, context) {
      const plain = encodePlain(value)
      return cipher ? cipher.seal(plain, context) : plain
    },
    decode<T>(bytes: Uint8Array, context: string): T {
      switch (bytes[0]) {
        case FORMAT_JSON:
        case FORMAT_BYTES:
          return decodePlain<T>(bytes, context)
        case FORMAT_ENCRYPTED: {
          if (!cipher) {
            throw new StorageError('ENCRYPTION_KEY_MISSING', `Stored value for ${context} is encrypted but no encryption keys are configured`, {
              details: { context },
            })
          }
          const plain = cipher.open(bytes, context)
          if (!isPlainFormat(plain[0])) {
            throw new StorageError('CODEC_ERROR', `Decrypted value for ${context} has an unknown format`, { details: { context } })
          }
          return decodePlain<T>(plain, context)
        }
        default:
          throw new StorageError('CODEC_ERROR', `Stored value for ${context} has an unknown format tag ${String(bytes[0])}`, {
            details: { context },
          })
      }
    },
    isStale(bytes) {
      if (!cipher) return !isPlainFormat(bytes[0])
      return bytes[0] !== FORMAT_ENCRYPTED || cipher.keyIdOf(bytes) !== cipher.currentKeyId
    },
  }
}
