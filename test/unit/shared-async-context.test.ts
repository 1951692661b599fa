import { AsyncLocalStorage } from 'node:async_hooks'
import { addTransactionCapability } from '@whiskeysockets/baileys'
import { createRequire } from 'node:module'
import { describe, expect, it, vi } from 'vitest'
import { createSilentLogger } from '../../src/index.js'
import { SharedAsyncLocalStorage, withSharedAsyncContext } from '../../src/socket/shared-async-context.js'

const require = createRequire(import.meta.url)
const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('shared async context for Baileys sockets', () => {
  it('keeps each instance isolated and follows async continuations, like AsyncLocalStorage', async () => {
    const a = new SharedAsyncLocalStorage<string>()
    const b = new SharedAsyncLocalStorage<string>()
    expect(a.getStore()).toBeUndefined()
    await a.run('a1', async () => {
      await tick()
      expect(a.getStore()).toBe('a1')
      expect(b.getStore()).toBeUndefined()
      await b.run('b1', async () => {
        await tick()
        expect([a.getStore(), b.getStore()]).toEqual(['a1', 'b1'])
        await a.run('a2', async () => expect([a.getStore(), b.getStore()]).toEqual(['a2', 'b1']))
        expect(a.getStore()).toBe('a1')
        a.exit(() => expect([a.getStore(), b.getStore()]).toEqual([undefined, 'b1']))
      })
      expect(b.getStore()).toBeUndefined()
    })
    expect(a.getStore()).toBeUndefined()
  })

  it('replaces AsyncLocalStorage only while the socket is built, for Baileys too', async () => {
    let inside: unknown
    const store = { get: async () => ({}), set: async () => undefined }
    const keys = withSharedAsyncContext(() => {
      inside = new (require('node:async_hooks').AsyncLocalStorage)()
      return addTransactionCapability(store, createSilentLogger(), { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
    })
    expect(inside).toBeInstanceOf(SharedAsyncLocalStorage)
    expect(new AsyncLocalStorage()).toBeInstanceOf(AsyncLocalStorage)
    expect(new (require('node:async_hooks').AsyncLocalStorage)()).toBeInstanceOf(AsyncLocalStorage)
    // Baileys' transactions still see their own context through the facade.
    expect(keys.isInTransaction()).toBe(false)
    const run = vi.spyOn(SharedAsyncLocalStorage.prototype, 'run')
    await keys.transaction(async () => {
      await tick()
      expect(keys.isInTransaction()).toBe(true)
    }, 'me')
    expect(run).toHaveBeenCalledTimes(1)
    expect(keys.isInTransaction()).toBe(false)
  })
})
