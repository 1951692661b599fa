import { randomBytes } from 'node:crypto'
import { isWafleetError } from '../../errors.js'
import { newSessionRecord } from '../../storage/records.js'
import type { NewSessionRecord, SessionRecord, StorageAdapter, StorageCapabilities } from '../../storage/types.js'
import type { ConformanceExpect, ConformanceTestFn, FaultInjector, StorageConformanceOptions, StorageInspector } from './types.js'

/** What each conformance test receives: a fresh, initialized adapter over reset data. */
export interface ConformanceContext {
  readonly storage: StorageAdapter
  /** Another adapter instance on the same data (initialized unless `init: false`); closed after the test. */
  open(options?: { init?: boolean }): Promise<StorageAdapter>
  /** Creates a session with a unique id and name (in this test's tenant unless overridden). */
  session(overrides?: Partial<NewSessionRecord>): Promise<SessionRecord>
  /** A tenant id no other test uses, so list assertions hold even without `reset`. */
  readonly tenant: string
}

export interface TestOptions {
  slow?: boolean
  /** When false the test is registered as skipped, with `skipReason` in its name. */
  when?: boolean
  skipReason?: string
}

export interface Harness {
  it(name: string, fn: (ctx: ConformanceContext) => Promise<void>, options?: TestOptions): void
  readonly expect: ConformanceExpect
  /** Capabilities under test (declared, else detected). */
  readonly caps: StorageCapabilities
  readonly inspect: StorageInspector
  readonly faults: FaultInjector | undefined
}

export function createHarness(
  options: StorageConformanceOptions,
  test: ConformanceTestFn,
  expect: ConformanceExpect,
  caps: StorageCapabilities,
): Harness {
  const slowTimeout = options.slowTestTimeoutMs ?? 120_000

  const runTest = async (fn: (ctx: ConformanceContext) => Promise<void>) => {
    await options.reset?.()
    const opened: StorageAdapter[] = []
    const open = async ({ init = true } = {}) => {
      const storage = await options.createStorage()
      opened.push(storage)
      if (init) await storage.init()
      return storage
    }
    const unique = randomBytes(4).toString('hex')
    let counter = 0
    let failure: unknown
    try {
      const storage = await open()
      const tenant = `tenant-${unique}`
      await fn({
        storage,
        open,
        tenant,
        session: (overrides = {}) => {
          counter++
          return storage.sessions.create(newSessionRecord({ id: `s${counter}-${unique}`, name: `session ${counter}`, tenantId: tenant, ...overrides }))
        },
      })
    } catch (error) {
      failure = error
    }
    // Closing twice (a test may close on purpose) must be harmless; any other close failure fails the test.
    const closed = await Promise.allSettled(opened.map((s) => s.close()))
    if (failure !== undefined) throw failure
    const closeFailure = closed.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (closeFailure) throw closeFailure.reason
  }

  return {
    it(name, fn, testOptions = {}) {
      if (testOptions.when === false) {
        test.skip?.(`${name} (skipped: ${testOptions.skipReason ?? 'not applicable'})`, async () => undefined)
        return
      }
      test(name, () => runTest(fn), testOptions.slow ? slowTimeout : undefined)
    },
    expect,
    caps,
    inspect: options.inspect ?? {},
    faults: options.faults,
  }
}

/** Resolves to the rejection's code, or a description of what happened instead, for readable failures. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved (expected a rejection)'
  } catch (error) {
    if (isWafleetError(error)) return error.code
    return `not a WafleetError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
  }
}

/** Bytes as hex, so byte-exact comparisons fail with a readable diff. */
export const hex = (bytes: Uint8Array | null | undefined): string | null => (bytes ? Buffer.from(bytes).toString('hex') : null)

/** Deterministic pseudo-random bytes (seeded), so values differ per key and failures reproduce. */
export function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Byte values of a map, as hex, keyed by id: compare whole result sets in one assertion. */
export const hexMap = (map: Map<string, Uint8Array>): Record<string, string | null> =>
  Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, value]) => [id, hex(value)]))
