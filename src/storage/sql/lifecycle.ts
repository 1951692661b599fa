import { toStorageError } from '../../errors.js'
import { storageClosed } from '../contract-errors.js'

export interface LifecycleHooks<H> {
  /** Connects and migrates; called once, again only if it failed. */
  open(): Promise<H>
  /** Releases what the adapter opened itself (never a pool or database the user passed in). */
  close(handle: H): Promise<void> | void
  /** Turns a driver error into a coded one where the driver's code means something to the contract. */
  mapError?(error: unknown, operation: string): unknown
}

export interface AdapterLifecycle<H> {
  /**
   * Runs `fn` with the open handle, opening on first use. After `close()` it rejects with
   * `STORAGE_CLOSED`; anything else that fails reaches the caller as a coded `WafleetError`.
   */
  use<T>(operation: string, fn: (handle: H) => Promise<T> | T): Promise<T>
  init(): Promise<void>
  close(): Promise<void>
}

/** Open-once, close-once bookkeeping shared by the SQL adapters. */
export function createLifecycle<H>(hooks: LifecycleHooks<H>): AdapterLifecycle<H> {
  let opening: Promise<H> | undefined
  let closing: Promise<void> | undefined
  const inFlight = new Set<Promise<unknown>>()

  const wrap = (error: unknown, operation: string) => toStorageError(hooks.mapError ? hooks.mapError(error, operation) : error, operation)

  const ready = (): Promise<H> => {
    if (!opening) {
      opening = hooks.open()
      // A failed open (database down, driver missing) must not stick: the next call tries again.
      opening.catch(() => {
        opening = undefined
      })
    }
    return opening
  }

  const use = <T>(operation: string, fn: (handle: H) => Promise<T> | T): Promise<T> => {
    if (closing) return Promise.reject(storageClosed(operation))
    const run = (async () => {
      const handle = await ready().catch((error: unknown) => {
        throw wrap(error, 'init')
      })
      try {
        return await fn(handle)
      } catch (error) {
        throw wrap(error, operation)
      }
    })()
    inFlight.add(run)
    const settle = () => inFlight.delete(run)
    run.then(settle, settle)
    return run
  }

  return {
    use,
    init: () => use('init', () => undefined),
    close() {
      closing ??= (async () => {
        // Let operations already started finish (a commit in flight is not cut in half by shutdown).
        await Promise.allSettled([...inFlight])
        const handle = await opening?.catch(() => undefined)
        if (handle !== undefined) await hooks.close(handle)
      })()
      return closing
    },
  }
}
