/**
 * The one gate for tests that need PostgreSQL. They read WAFLEET_TEST_PG_URL (e.g.
 * postgres://postgres@127.0.0.1:5432/wafleet_test). Unset in CI (`CI` set): the tests FAIL, so a
 * missing database can never pass as green. Unset locally: they are skipped with one loud line.
 *
 * Each test file gets its own schema (`pgSchema()`), so files run in parallel on one database.
 */
import { randomBytes } from 'node:crypto'
import { describe, test } from 'vitest'
import pg from 'pg'

export const PG_URL: string | undefined = process.env.WAFLEET_TEST_PG_URL || undefined

const HOW_TO = 'export WAFLEET_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/wafleet_test (createdb -h 127.0.0.1 -U postgres wafleet_test)'

let warned = false

/**
 * `describe` for Postgres tests. The body only runs when WAFLEET_TEST_PG_URL is set; otherwise the
 * block holds a single failing test in CI, or a skipped one locally.
 */
export function describePostgres(name: string, body: (url: string) => void | Promise<void>): void {
  if (PG_URL) {
    describe(name, () => body(PG_URL))
    return
  }
  if (process.env.CI) {
    describe(name, () => {
      test('WAFLEET_TEST_PG_URL is set', () => {
        throw new Error(`Postgres tests must run in CI but WAFLEET_TEST_PG_URL is not set: ${HOW_TO}`)
      })
    })
    return
  }
  if (!warned) {
    warned = true
    console.warn(`\n!!! SKIPPING Postgres tests: WAFLEET_TEST_PG_URL is not set. To run them: ${HOW_TO}\n`)
  }
  describe.skip(`${name} (WAFLEET_TEST_PG_URL not set)`, () => {
    test('needs Postgres', () => undefined)
  })
}

/** A unique schema name for one test file (or one test), safe to drop afterwards. */
export function uniqueSchemaName(label: string): string {
  return `wafleet_test_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`)
  } finally {
    await client.end()
  }
}
