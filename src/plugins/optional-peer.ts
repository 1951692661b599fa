import { PluginError } from '../errors.js'

/**
 * Loads an optional peer of a plugin on first use (prom-client, proxy agents), so nothing
 * loads it for users who do not need it. `importer` must be a literal `() => import('name')` so the
 * bundler keeps the package external. A missing package is a `DRIVER_MISSING` error that says what
 * to install.
 */
export async function loadPeer<T>(plugin: string, name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer()
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
    throw new PluginError(
      'DRIVER_MISSING',
      missing
        ? `The ${plugin} plugin needs the "${name}" package: npm install ${name}`
        : `The "${name}" package is installed but failed to load: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { plugin, package: name, install: `npm install ${name}` } },
    )
  }
}
