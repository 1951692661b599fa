import type { StorageAdapter, StorageCapabilities } from '../../storage/types.js'

/** A test registrar compatible with vitest's and jest's `test`/`it` (and node:test's `test`). */
export interface ConformanceTestFn {
  (name: string, fn: () => Promise<void>, timeout?: number): unknown
  skip?: (name: string, fn: () => Promise<void>) => unknown
}

export type ConformanceDescribeFn = (name: string, fn: () => void) => unknown

/**
 * vitest's or jest's `expect`. The suite uses only matchers both have: toBe, toEqual, toBeNull,
 * toHaveLength, toBeGreaterThan(OrEqual), toBeLessThanOrEqual, toContain, toBeInstanceOf.
 */
export type ConformanceExpect = (actual: unknown) => any

/**
 * Reads the backend directly, without the adapter (Auth.js style), so an adapter that caches cannot
 * pass by answering from its cache. Every hook is optional; the tests that need one run when it is given.
 */
export interface StorageInspector {
  /** The raw stored value of one key, or null. */
  readKey?(sessionId: string, category: string, id: string): Promise<Uint8Array | null>
  /** The raw stored credentials, or null. */
  readCreds?(sessionId: string): Promise<Uint8Array | null>
  /** How many rows each per-session table still holds for the session (all zero after a delete). */
  countSessionRows?(sessionId: string): Promise<Record<string, number>>
  /** Records the stored schema as `version`, to check that a schema newer than the code is refused. */
  setSchemaVersion?(version: number): Promise<void>
}

/**
 * Makes the backend itself fail while a batch is being written, to prove the batch is one transaction.
 * The SQL adapters' tests install a trigger that raises for one key id: the failure happens inside the
 * database, after earlier rows of the same batch were written. Each call returns a remover.
 */
export interface FaultInjector {
  /** Writing (inserting or updating) a key with this id fails inside the backend. */
  failKeyWrite(id: string): Promise<() => Promise<void>>
  /** Writing credentials fails inside the backend. */
  failCredsWrite(): Promise<() => Promise<void>>
}

export interface StorageConformanceOptions {
  /** Shown in the describe block: `storage conformance: <name>`. */
  name: string
  /**
   * Returns a NEW adapter instance on the SAME backing data each call (a new connection to the same
   * database), so the suite can check that what one instance wrote, another reads.
   */
  createStorage: () => StorageAdapter | Promise<StorageAdapter>
  /** Empties the backing data; runs before every test, after the previous test's instances are closed. */
  reset?: () => void | Promise<void>
  /** Test registrar. @default vitest's `test` */
  test?: ConformanceTestFn
  /** @default vitest's `describe` */
  describe?: ConformanceDescribeFn
  /** @default vitest's `expect` */
  expect?: ConformanceExpect
  /**
   * The optional capabilities the adapter claims. Declared ones must be present on the object (checked)
   * and are tested; undeclared ones are detected from the object.
   * @default detected with `storageCapabilities`
   */
  capabilities?: Partial<StorageCapabilities>
  inspect?: StorageInspector
  faults?: FaultInjector
  /**
   * Timeout of the scale tests (812 pre-keys + 5,000 sessions in one commit; 40,000-id reads).
   * @default 120_000
   */
  slowTestTimeoutMs?: number
}
