// The few ASN.1 DER encodings an X.509 certificate needs (X.690), written by hand so that the
// simulator can issue its HTTPS certificate with `node:crypto` alone: Node signs and verifies
// certificates but has no API to build one.

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size])
  const bytes: number[] = []
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

/** A tag-length-value element; `tag` is the full identifier octet. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items)
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items)
/** `[n] EXPLICIT` (constructed, context-specific). */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner)
/** `[n] IMPLICIT` of a primitive type (context-specific). */
export const implicit = (n: number, bytes: Buffer): Buffer => tlv(0x80 | n, bytes)
export const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes)
export const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]))

/** A BIT STRING of whole bytes (no unused bits), as signatures and key usage masks are written. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.from([unusedBits]), bytes)
}

/** A non-negative INTEGER from its big-endian bytes (a 0x00 is prepended when the top bit is set). */
export function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++
  const trimmed = bytes.subarray(start)
  return tlv(0x02, trimmed[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

export function objectIdentifier(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number)
  const out = [first! * 40 + second!]
  for (const arc of rest) {
    const groups: number[] = []
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift(value % 128)
      if (value < 128) break
    }
    out.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)))
  }
  return tlv(0x06, Buffer.from(out))
}

/** UTCTime (YYMMDDHHMMSSZ) up to 2049, GeneralizedTime after, as RFC 5280 requires. */
export function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'))
}
