import type { Request, Response } from 'express'

export interface EventStream {
  /** Writes one event; `json` must be one line of JSON. */
  send(event: string, json: string): void
  close(): void
  /** Runs once when the stream closes, whoever closes it (client, back-pressure, shutdown). */
  onClose(listener: () => void): void
  readonly closed: boolean
}

export interface EventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. @default 15000 */
  heartbeatMs?: number
  /**
   * A client that stops reading would make the server buffer without limit: past this many
   * unsent bytes the stream is closed, and the client reconnects. @default 1 MiB
   */
  maxBufferedBytes?: number
}

/** Server-Sent Events over an Express response; `streams` tracks open ones so shutdown can end them. */
export function openEventStream(req: Request, res: Response, streams: Set<EventStream>, options: EventStreamOptions = {}): EventStream {
  const { heartbeatMs = 15_000, maxBufferedBytes = 1024 * 1024 } = options
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx buffers responses unless told otherwise; SSE must flow as it is written.
    'X-Accel-Buffering': 'no',
  })
  res.flushHeaders()
  res.write('retry: 3000\n\n')
  let closed = false
  const closeListeners: (() => void)[] = []
  const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs)
  heartbeat.unref()
  const stream: EventStream = {
    get closed() {
      return closed
    },
    send(event, json) {
      if (closed) return
      if (res.writableLength > maxBufferedBytes) {
        stream.close()
        return
      }
      res.write(`event: ${event}\ndata: ${json}\n\n`)
    },
    close() {
      if (closed) return
      closed = true
      clearInterval(heartbeat)
      streams.delete(stream)
      res.end()
      for (const listener of closeListeners) listener()
    },
    onClose(listener) {
      closeListeners.push(listener)
    },
  }
  streams.add(stream)
  req.on('close', () => stream.close())
  return stream
}
