/**
 * The little of `pg` this adapter uses, written structurally so that users need neither `pg` nor
 * `@types/pg` to type-check code that imports `wafleet/storage/postgres`. A `pg.Pool` satisfies it.
 */

export interface PgTypeOverrides {
  getTypeParser(oid: number, format?: string): (value: string) => unknown
}

export interface PgQueryConfig {
  text: string
  values?: unknown[]
  /** Named statements are prepared once per connection. */
  name?: string
  types?: PgTypeOverrides
}

export interface PgQueryResult<R = Record<string, unknown>> {
  rows: R[]
  rowCount: number | null
}

export interface PgQueryable {
  query(config: PgQueryConfig): Promise<PgQueryResult<any>>
}

export interface PgPoolClientLike extends PgQueryable {
  release(error?: Error | boolean): void
}

export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClientLike>
  end(): Promise<void>
  on?(event: 'error', listener: (error: Error) => void): unknown
}

const BYTEA_OID = 17

function parseEscapedBytea(text: string): Buffer {
  // bytea_output = 'escape' (not the default since 9.0): backslash-octal escapes and doubled backslashes.
  const out: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') {
      out.push(text.charCodeAt(i))
    } else if (text[i + 1] === '\\') {
      out.push(0x5c)
      i++
    } else {
      out.push(parseInt(text.slice(i + 1, i + 4), 8))
      i += 3
    }
  }
  return Buffer.from(out)
}

export function parseBytea(text: string): Buffer {
  return text.startsWith('\\x') ? Buffer.from(text.slice(2), 'hex') : parseEscapedBytea(text)
}

const identity = (value: string) => value

/**
 * Every query passes these parsers, so results do not depend on global `pg.types` settings a user
 * may have changed for their own code: bytea becomes a Buffer, everything else stays text and is
 * converted by the adapter.
 */
export const RAW_TYPES: PgTypeOverrides = {
  getTypeParser: (oid: number) => (oid === BYTEA_OID ? parseBytea : identity),
}
