import { EventEmitter } from 'eventemitter3'

interface StoredListener {
  fn: (...args: unknown[]) => unknown
  context: unknown
  once: boolean
}

/**
 * eventemitter3 with listener isolation: a listener that throws (or rejects) is reported and the
 * remaining listeners still run, so user code can never break a session's event flow.
 */
export class SafeEmitter<Events extends EventEmitter.ValidEventTypes> extends EventEmitter<Events> {
  constructor(private readonly reportListenerError: (error: unknown, event: string) => void) {
    super()
  }

  /** Emits `data` to every listener of `event`, isolating failures. Returns whether anyone listened. */
  protected dispatch(event: EventEmitter.EventNames<Events>, data: unknown): boolean {
    const key = `${EventEmitter.prefixed || ''}${String(event)}`
    const entry = (this as unknown as { _events: Record<string, StoredListener | StoredListener[] | undefined> })._events[key]
    if (!entry) return false
    const listeners = Array.isArray(entry) ? entry.slice() : [entry]
    for (const listener of listeners) {
      if (listener.once) this.removeListener(event, listener.fn as never, undefined, true)
      try {
        const result = listener.fn.call(listener.context, data)
        if (result instanceof Promise) result.catch((error: unknown) => this.reportListenerError(error, String(event)))
      } catch (error) {
        this.reportListenerError(error, String(event))
      }
    }
    return true
  }
}
