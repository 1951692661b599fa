// XEdDSA signature verification (Curve25519 keys, Ed25519 signatures), as libsignal signs.
// Baileys rc14's `Curve.verify` cannot be used to check a signature: it calls libsignal's
// `verifySignature`, which *returns* false on a bad signature, and only treats a thrown error as
// failure, so it returns true for any well-formed forgery. This module is what the simulator
// checks signatures with: the Montgomery key is mapped to its Edwards form (y = (u - 1) / (u + 1)),
// the sign bit travels in the signature's last byte, and Node's Ed25519 does the rest.
import { createPublicKey, verify } from 'node:crypto'

const P = 2n ** 255n - 19n
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

function fromLittleEndian(bytes: Uint8Array): bigint {
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!)
  return value
}

function toLittleEndian(value: bigint, length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = 0, rest = value; i < length; i++, rest >>= 8n) out[i] = Number(rest & 0xffn)
  return out
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  for (let b = base % P, e = exponent; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) result = (result * b) % P
  return result
}

/** Whether `signature` is libsignal's XEdDSA signature of `message` by `publicKey` (32 bytes, or 33 with the 0x05 prefix). */
export function verifyXEdDSA(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const montgomery = publicKey.length === 33 ? publicKey.subarray(1) : publicKey
  if (montgomery.length !== 32 || signature.length !== 64) return false
  const u = fromLittleEndian(montgomery) & ((1n << 255n) - 1n)
  const y = (((u - 1n + P) % P) * modPow(u + 1n, P - 2n)) % P
  const edwards = toLittleEndian(y, 32)
  edwards[31]! |= signature[63]! & 0x80
  const ed25519Signature = Buffer.from(signature)
  ed25519Signature[63]! &= 0x7f
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, edwards]), format: 'der', type: 'spki' })
    return verify(null, message, key, ed25519Signature)
  } catch {
    return false // not a point on the curve: no valid signature can exist for it
  }
}
