import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { EncryptionError, ValidationError } from '../errors.js'

/** A 32-byte key: raw bytes, or a string in base64 or hex. */
export type EncryptionKey = Uint8Array | string

export interface EncryptionOptions {
  /** Every key that may have written stored data, by id. Old ids stay readable after rotation. */
  keys: Record<string, EncryptionKey>
  /** Id of the key used for new writes. */
  current: string
}

export interface ValueCipher {
  readonly currentKeyId: string
  seal(plain: Uint8Array, context: string): Uint8Array
  open(sealed: Uint8Array, context: string): Uint8Array
  keyIdOf(sealed: Uint8Array): string
}

export const FORMAT_ENCRYPTED = 0x02
const IV_BYTES = 12
const TAG_BYTES = 16
const AAD_PREFIX = 'wafleet:v1:'

function parseKey(id: string, key: EncryptionKey): Buffer {
  let bytes: Buffer
  if (typeof key === 'string') {
    bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64')
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key)
  } else {
    throw new ValidationError('INVALID_CONFIG', `Encryption key "${id}" must be a Uint8Array or a base64/hex string`, { details: { keyId: id } })
  }
  if (bytes.length !== 32) {
    throw new ValidationError('INVALID_CONFIG', `Encryption key "${id}" must be 32 bytes (AES-256), got ${bytes.length}`, { details: { keyId: id } })
  }
  return bytes
}

/**
 * AES-256-GCM with a random 96-bit IV per value. Layout:
 * [0x02][key id length][key id UTF-8][IV 12][tag 16][ciphertext]. The slot (`context`) is the
 * associated data, so a value copied into another slot fails to open instead of being trusted.
 */
export function createCipher(options: EncryptionOptions): ValueCipher {
  if (!options || typeof options !== 'object' || !options.keys || typeof options.current !== 'string') {
    throw new ValidationError('INVALID_CONFIG', 'encryption needs { keys: { [id]: key }, current: id }')
  }
  const keys = new Map<string, Buffer>()
  for (const [id, key] of Object.entries(options.keys)) {
    if (!id || Buffer.byteLength(id) > 255) {
      throw new ValidationError('INVALID_CONFIG', 'Encryption key ids must be 1-255 bytes', { details: { keyId: id } })
    }
    keys.set(id, parseKey(id, key))
  }
  const currentKey = keys.get(options.current)
  if (!currentKey) {
    throw new ValidationError('INVALID_CONFIG', `encryption.current "${options.current}" is not one of encryption.keys`, {
      details: { keyId: options.current },
    })
  }
  const currentId = Buffer.from(options.current, 'utf8')
  const aad = (context: string) => Buffer.from(AAD_PREFIX + context, 'utf8')

  const readKeyId = (sealed: Uint8Array): { id: string; offset: number } => {
    const length = sealed[1]
    if (sealed[0] !== FORMAT_ENCRYPTED || length === undefined || sealed.length < 2 + length + IV_BYTES + TAG_BYTES) {
      throw new EncryptionError('DECRYPTION_FAILED', 'Encrypted value is truncated or malformed')
    }
    return { id: Buffer.from(sealed.subarray(2, 2 + length)).toString('utf8'), offset: 2 + length }
  }

  return {
    currentKeyId: options.current,
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv)
      cipher.setAAD(aad(context))
      const body = Buffer.concat([cipher.update(plain), cipher.final()])
      return Buffer.concat([Buffer.from([FORMAT_ENCRYPTED, currentId.length]), currentId, iv, cipher.getAuthTag(), body])
    },
    open(sealed, context) {
      const { id, offset } = readKeyId(sealed)
      const key = keys.get(id)
      if (!key) {
        throw new EncryptionError('ENCRYPTION_KEY_MISSING', `Value for ${context} was encrypted with key "${id}", which is not configured`, {
          details: { keyId: id, context },
        })
      }
      const iv = sealed.subarray(offset, offset + IV_BYTES)
      const tag = sealed.subarray(offset + IV_BYTES, offset + IV_BYTES + TAG_BYTES)
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv)
        decipher.setAAD(aad(context))
        decipher.setAuthTag(tag)
        return Buffer.concat([decipher.update(sealed.subarray(offset + IV_BYTES + TAG_BYTES)), decipher.final()])
      } catch (error) {
        throw new EncryptionError('DECRYPTION_FAILED', `Value for ${context} could not be decrypted with key "${id}" (wrong key or tampered data)`, {
          cause: error,
          details: { keyId: id, context },
        })
      }
    },
    keyIdOf: (sealed) => readKeyId(sealed).id,
  }
}
