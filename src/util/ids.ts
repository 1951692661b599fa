import { randomFillSync } from 'node:crypto'

/** Random bytes are drawn from the OS this many at a time: one call per ~400 ids instead of two per id. */
const POOL_SIZE = 4096
const pool = Buffer.allocUnsafe(POOL_SIZE)
let offset = POOL_SIZE

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

let lastMs = 0
let sequence = 0

function randomOffset(bytes: number): number {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool)
    offset = 0
  }
  const at = offset
  offset += bytes
  return at
}

/**
 * A UUID version 7 (RFC 9562): 48 bits of milliseconds, a 12-bit counter seeded at random each
 * millisecond (method 1), 62 random bits. Time-ordered, so sessions created in the same
 * millisecond still list in creation order (lists sort by createdAt, then id). Monotonic within
 * this process.
 */
export function uuidv7(): string {
  let now = Date.now()
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff
    if (sequence === 0) lastMs++
    now = lastMs
  } else {
    lastMs = now
    // Seeded in the lower 10 bits only, so a millisecond has room for at least 1,024 more ids.
    sequence = pool.readUInt16BE(randomOffset(2)) & 0x3ff
  }
  const r = randomOffset(8)
  const time = now.toString(16).padStart(12, '0')
  let tail = ''
  for (let i = r + 2; i < r + 8; i++) tail += HEX[pool[i]!]
  return `${time.slice(0, 8)}-${time.slice(8)}-${(0x7000 | sequence).toString(16)}-${HEX[0x80 | (pool[r]! & 0x3f)]}${HEX[pool[r + 1]!]}-${tail}`
}
