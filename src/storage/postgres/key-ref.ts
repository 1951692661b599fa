import { createHash } from 'node:crypto'

/**
 * Keys are indexed by a reference to their id rather than the id itself: a b-tree entry holds at most
 * about 2,700 bytes, and key ids may be of any length. An id of up to KEY_REF_RAW_MAX UTF-8 bytes is
 * its own reference (so Baileys' short ids cost nothing extra); a longer one is referenced by 0x00 and
 * its SHA-256. The two forms never collide: text in Postgres cannot contain a 0x00 byte.
 */
export const KEY_REF_RAW_MAX = 512

export function keyRef(id: string): Buffer {
  const bytes = Buffer.from(id, 'utf8')
  if (bytes.length <= KEY_REF_RAW_MAX) return bytes
  return Buffer.concat([Buffer.alloc(1), createHash('sha256').update(bytes).digest()])
}

/** The same reference computed in SQL, for migrating rows written before references existed. */
export const keyRefSql = (id: string) =>
  `CASE WHEN octet_length(convert_to(${id}, 'UTF8')) <= ${KEY_REF_RAW_MAX} THEN convert_to(${id}, 'UTF8') ELSE '\\x00'::bytea || sha256(convert_to(${id}, 'UTF8')) END`
