import { StorageError } from '../../errors.js'

/** Optional peers loaded on demand; the hint tells the user exactly what to install. */
export type DriverName = 'pg' | 'better-sqlite3' | 'vitest'

const isModuleNotFound = (error: unknown, name: string): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : ''
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(name)
}

/**
 * Loads an optional peer dependency on first use, so that `wafleet` (and the other subpaths) never
 * require it. `importer` must be a literal `() => import('pg')` so bundlers keep it as an external.
 */
export async function loadDriver<T>(name: DriverName, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer()
  } catch (error) {
    if (isModuleNotFound(error, name)) {
      throw new StorageError('DRIVER_MISSING', `The "${name}" package is required by this storage adapter: npm install ${name}`, {
        cause: error,
        details: { driver: name, install: `npm install ${name}` },
      })
    }
    // Installed but broken (e.g. a native module built for another Node version): say so, with the cause.
    throw new StorageError('DRIVER_MISSING', `The "${name}" package is installed but failed to load: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
      details: { driver: name, install: `npm rebuild ${name}` },
    })
  }
}

/** CommonJS packages imported from ESM arrive as `{ default: module }`; bundlers sometimes unwrap them. */
export function interopDefault<T>(module: T | { default: T }): T {
  return (module as { default?: T }).default ?? (module as T)
}
