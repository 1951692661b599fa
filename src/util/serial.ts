/**
 * Runs tasks one at a time in submission order. Each caller gets its own task's result or error;
 * a failed task does not stop the ones queued after it.
 */
export interface SerialQueue {
  run<T>(task: () => Promise<T> | T): Promise<T>
  /** Resolves when everything queued so far has settled. */
  idle(): Promise<void>
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      const result = tail.then(task)
      // Only ordering lives on the tail; the outcome goes to the caller through `result`.
      tail = result.then(
        () => undefined,
        () => undefined,
      )
      return result
    },
    idle: () => tail.then(() => undefined),
  }
}
