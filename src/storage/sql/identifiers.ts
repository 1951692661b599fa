import { ValidationError } from '../../errors.js'

/** Quotes an SQL identifier (Postgres and SQLite agree on double quotes, doubled to escape). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Postgres truncates identifiers to 63 bytes silently; refuse instead of writing to a different schema. */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || schema.length === 0 || Buffer.byteLength(schema) > 63 || schema.includes('\u0000')) {
    throw new ValidationError('INVALID_CONFIG', 'schema must be a non-empty name of at most 63 bytes', { details: { field: 'schema' } })
  }
  return schema
}

/** Table prefixes end up inside index names too, so keep them to plain identifier characters. */
export function validateTablePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(prefix)) {
    throw new ValidationError('INVALID_CONFIG', 'tablePrefix must match /^[A-Za-z_][A-Za-z0-9_]{0,40}$/', { details: { field: 'tablePrefix' } })
  }
  return prefix
}
