// Simulator state as JSON-safe data: bytes (Buffer, Uint8Array) become base64 with Baileys' own
// BufferJSON, the format Baileys uses for credentials, and come back as Buffers.
import { BufferJSON } from '@whiskeysockets/baileys'

/** A deep copy in which every byte array is `{ type: 'Buffer', data: '<base64>' }`. */
export function toJsonSafe<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, BufferJSON.replacer)) as unknown
}

/** The inverse of `toJsonSafe` (also a deep copy, so the input can be reused). */
export function fromJsonSafe<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), BufferJSON.reviver) as T
}
