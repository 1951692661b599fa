/** A minimal Server-Sent Events reader over fetch (EventSource cannot send the API key header). */
export interface SseEvent {
  event: string
  data: any
}

export interface SseClient {
  status: number
  contentType: string | null
  /** Every event received so far. */
  events: SseEvent[]
  /** Resolves with the first event (already received or coming) that matches. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  close(): void
}

export async function openSse(url: string, key: string): Promise<SseClient> {
  const controller = new AbortController()
  const response = await fetch(url, { headers: { 'x-api-key': key }, signal: controller.signal })
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  if (response.ok && response.body) {
    void (async () => {
      let buffer = ''
      try {
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const event = /^event: (.*)$/m.exec(block)?.[1]
            const data = /^data: (.*)$/m.exec(block)?.[1]
            if (event && data !== undefined) {
              events.push({ event, data: JSON.parse(data) })
              for (const wake of [...waiters]) wake()
            }
          }
        }
      } catch {
        // aborted by close(): the stream simply ends
      }
    })()
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events,
    next(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match)
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => controller.abort(),
  }
}
