import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // examples/*/test: the example servers' tests, next to the examples (they import wafleet from dist/: build first).
    include: ['test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
