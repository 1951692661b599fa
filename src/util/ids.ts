import { randomBytes } from 'node:crypto'

let lastMs = 0
let sequence = 0

/**
 * A UUID version 7: time-ordered, so sessions created in the same millisecond still list in
 * creation order (lists sort by createdAt, then id). Monotonic within this process.
 */
export function uuidv7(): string {
  let now = Date.now()
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff
    if (sequence === 0) lastMs++
    now = lastMs
  } else {
    lastMs = now
    sequence = randomBytes(2).readUInt16BE() & 0x3ff
  }
  const bytes = randomBytes(16)
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = 0x70 | (sequence >> 8)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
