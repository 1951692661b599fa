import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadDriver } from '../../src/storage/sql/driver.js'

const root = resolve(import.meta.dirname, '../..')

/** Value (non-type) static imports of every module reachable from `entry`. */
function staticImports(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    const text = readFileSync(file, 'utf8')
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)'/gm)].map((m) => m[1]!)
    seen.set(file, specifiers)
    for (const spec of specifiers) if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')))
  }
  visit(join(root, entry))
  return seen
}

describe('optional peers (pg, better-sqlite3) are never required by what does not need them', () => {
  for (const entry of ['src/index.ts', 'src/testing/index.ts', 'src/storage/postgres/index.ts', 'src/storage/sqlite/index.ts']) {
    test(`${entry} has no static import of pg or better-sqlite3`, () => {
      const offenders = [...staticImports(entry)].flatMap(([file, specs]) =>
        specs.filter((s) => s === 'pg' || s === 'better-sqlite3' || s === 'vitest').map((s) => `${file.slice(root.length + 1)} imports ${s}`),
      )
      expect(offenders).toEqual([])
    })
  }

  test('a missing driver is DRIVER_MISSING with the install command', async () => {
    const error = await loadDriver('pg', () => import('pg-not-installed-for-this-test' as string)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DRIVER_MISSING', details: { driver: 'pg', install: 'npm install pg' } })
    expect((error as Error).message).toContain('npm install pg')
  })

  test('a driver that is installed but fails to load is DRIVER_MISSING with its cause', async () => {
    const broken = new Error('The module was compiled against a different Node.js version')
    const error = await loadDriver('better-sqlite3', () => Promise.reject(broken)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DRIVER_MISSING', cause: broken, details: { install: 'npm rebuild better-sqlite3' } })
  })
})
