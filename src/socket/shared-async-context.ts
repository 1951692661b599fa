import asyncHooks, { AsyncLocalStorage } from 'node:async_hooks'
import { syncBuiltinESMExports } from 'node:module'

/**
 * One real AsyncLocalStorage carries the stores of every Baileys socket, keyed by socket.
 *
 * Baileys 7 creates an AsyncLocalStorage per socket (its key-store transactions) and never disables
 * it (WhiskeySockets/Baileys#2806). On Node 20 every enabled instance adds work to every promise and
 * timer the process creates, so a process with 1,000 sockets spends most of its CPU in async_hooks
 * and restoring N sessions costs about N². With one shared instance the cost stays constant.
 */
const shared = new AsyncLocalStorage<ReadonlyMap<object, unknown>>()

/** What Baileys uses of AsyncLocalStorage (`run`, `getStore`), with the same semantics per instance. */
export class SharedAsyncLocalStorage<T> {
  getStore(): T | undefined {
    return shared.getStore()?.get(this) as T | undefined
  }

  run<R, A extends unknown[]>(store: T, callback: (...args: A) => R, ...args: A): R {
    const stores = new Map(shared.getStore())
    stores.set(this, store)
    return shared.run(stores, callback, ...args)
  }

  exit<R, A extends unknown[]>(callback: (...args: A) => R, ...args: A): R {
    const stores = new Map(shared.getStore())
    stores.delete(this)
    return shared.run(stores, callback, ...args)
  }

  /** Nothing to release: the shared instance stays enabled for every socket. */
  disable(): void {}
}

/**
 * Runs `build` (a synchronous `makeWASocket` call) with `AsyncLocalStorage` from node:async_hooks
 * replaced by the shared facade, then puts the original back. Only instances created during the
 * call are affected; nothing can interleave with a synchronous call.
 */
export function withSharedAsyncContext<T>(build: () => T): T {
  const original = asyncHooks.AsyncLocalStorage
  ;(asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = SharedAsyncLocalStorage
  syncBuiltinESMExports()
  try {
    return build()
  } finally {
    ;(asyncHooks as { AsyncLocalStorage: unknown }).AsyncLocalStorage = original
    syncBuiltinESMExports()
  }
}
