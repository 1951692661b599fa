// "Wait until this becomes true": probes re-checked whenever the owner says something changed.
import { WafleetError } from '../../errors.js'

export class ChangeWaiters {
  private readonly watchers = new Set<() => void>()

  changed(): void {
    for (const watcher of [...this.watchers]) watcher()
  }

  /** Resolves with the first truthy value of `probe` (now or after a change), or rejects after `timeoutMs`. */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const ready = probe()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve, reject) => {
      const watcher = () => {
        const value = probe()
        if (!value) return
        this.watchers.delete(watcher)
        clearTimeout(timer)
        resolve(value)
      }
      const timer = setTimeout(() => {
        this.watchers.delete(watcher)
        reject(new WafleetError('OPERATION_ABORTED', `Timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      this.watchers.add(watcher)
    })
  }
}
