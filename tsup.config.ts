import { defineConfig } from 'tsup'

/** One entry per public subpath; keep in sync with "exports" in package.json (checked by test/package-exports.test.ts). */
export const entries = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  'storage/postgres/index': 'src/storage/postgres/index.ts',
  'storage/sqlite/index': 'src/storage/sqlite/index.ts',
  'plugins/webhooks/index': 'src/plugins/webhooks/index.ts',
  'plugins/proxy/index': 'src/plugins/proxy/index.ts',
  'plugins/metrics/index': 'src/plugins/metrics/index.ts',
}

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // Optional peers, dependencies and Baileys are resolved from the user's install, never bundled.
  external: [
    '@whiskeysockets/baileys',
    'pg',
    'better-sqlite3',
    'prom-client',
    'socks-proxy-agent',
    'https-proxy-agent',
    'undici',
    'vitest',
    'ws',
  ],
})
