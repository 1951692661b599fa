import { ValidationError } from '../../errors.js'
import { loadDriver } from '../../storage/sql/driver.js'
import type { StorageCapabilities } from '../../storage/types.js'
import { createHarness } from './harness.js'
import { atomicityTests } from './suites/atomicity.js'
import { authTests } from './suites/auth.js'
import { idTests } from './suites/ids.js'
import { leaseTests } from './suites/leases.js'
import { lifecycleTests } from './suites/lifecycle.js'
import { messageTests } from './suites/messages.js'
import { outboxTests } from './suites/outbox.js'
import { scaleTests } from './suites/scale.js'
import { sessionTests } from './suites/sessions.js'
import type { ConformanceDescribeFn, ConformanceExpect, ConformanceTestFn, StorageConformanceOptions } from './types.js'

export type {
  ConformanceDescribeFn,
  ConformanceExpect,
  ConformanceTestFn,
  FaultInjector,
  StorageConformanceOptions,
  StorageInspector,
} from './types.js'
export type { ConformanceContext } from './harness.js'
export { BAILEYS_KEY_CATEGORIES } from './suites/auth.js'
export { EDGE_CASE_IDS } from './suites/ids.js'

/** Bumped when the suite checks something new; adapters can pin the version they pass. */
export const STORAGE_CONFORMANCE_VERSION = 1

interface Runner {
  test: ConformanceTestFn
  describe: ConformanceDescribeFn
  expect: ConformanceExpect
}

async function resolveRunner(options: StorageConformanceOptions): Promise<Runner> {
  if (options.test && options.describe && options.expect) return { test: options.test, describe: options.describe, expect: options.expect }
  const vitest = await loadDriver('vitest', () => import('vitest'))
  return {
    test: options.test ?? (vitest.test as unknown as ConformanceTestFn),
    describe: options.describe ?? (vitest.describe as unknown as ConformanceDescribeFn),
    expect: options.expect ?? (vitest.expect as unknown as ConformanceExpect),
  }
}

/** Declared capabilities win; the rest are read from a throwaway instance's shape (never its `kind`). */
async function capabilitiesUnderTest(options: StorageConformanceOptions): Promise<StorageCapabilities> {
  const declared = options.capabilities ?? {}
  if (declared.messages !== undefined && declared.outbox !== undefined && declared.leases !== undefined) {
    return { messages: declared.messages, outbox: declared.outbox, leases: declared.leases }
  }
  const probe = await options.createStorage()
  try {
    return {
      messages: declared.messages ?? (typeof probe.messages?.put === 'function' && typeof probe.messages.get === 'function'),
      outbox: declared.outbox ?? (typeof probe.outbox?.claim === 'function' && typeof probe.outbox.enqueue === 'function'),
      leases: declared.leases ?? typeof probe.leases?.acquire === 'function',
    }
  } finally {
    await probe.close()
  }
}

/**
 * Registers the storage conformance suite (Keyv / Auth.js style) for one adapter. Call it at the top
 * level of a test file and await it:
 *
 * ```ts
 * await runStorageConformance({ name: 'my adapter', createStorage: () => createMyStorage(url), reset: wipe })
 * ```
 *
 * Each test runs on a fresh `createStorage()` instance after `reset()`, so tests are independent.
 * Pass `test`, `describe` and `expect` to run it under jest or another runner; by default vitest's are
 * imported. Optional capabilities (messages, outbox, leases) are tested when declared or present.
 */
export async function runStorageConformance(options: StorageConformanceOptions): Promise<void> {
  if (!options || typeof options.createStorage !== 'function' || typeof options.name !== 'string') {
    throw new ValidationError('VALIDATION_ERROR', 'runStorageConformance needs { name, createStorage }')
  }
  const runner = await resolveRunner(options)
  const caps = await capabilitiesUnderTest(options)
  const h = createHarness(options, runner.test, runner.expect, caps)
  runner.describe(`storage conformance: ${options.name}`, () => {
    runner.describe('lifecycle', () => lifecycleTests(h))
    runner.describe('sessions', () => sessionTests(h))
    runner.describe('auth', () => authTests(h))
    runner.describe('key ids', () => idTests(h))
    runner.describe('atomicity and concurrency', () => atomicityTests(h))
    runner.describe('scale', () => scaleTests(h))
    runner.describe('messages', () => messageTests(h))
    runner.describe('outbox', () => outboxTests(h))
    runner.describe('leases', () => leaseTests(h))
  })
}
