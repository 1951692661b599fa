import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  headers: IncomingHttpHeaders
  body: string
  /** Date.now() when the request arrived (fake time under fake timers). */
  at: number
  url: string
}

export interface Reply {
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Never answer (until `release()`). */
  hang?: boolean
}

export interface Receiver {
  url: string
  port: number
  requests: ReceivedRequest[]
  /** Decides the answer to the n-th request (0-based). @default 200 */
  reply: (request: ReceivedRequest, index: number) => Reply
  /** Resolves when `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>
  /** Answers every hanging request with 200. */
  release(): void
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 that records webhook deliveries and answers as told. */
export async function startReceiver(reply: Receiver['reply'] = () => ({})): Promise<Receiver> {
  const hanging: ServerResponse[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const receiver = { requests: [] as ReceivedRequest[], reply } as Receiver
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ReceivedRequest = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), url: req.url ?? '' }
      const index = receiver.requests.push(request) - 1
      const answer = receiver.reply(request, index)
      for (const waiter of waiters.filter((w) => receiver.requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
      if (answer.hang) {
        hanging.push(res)
        return
      }
      res.writeHead(answer.status ?? 200, answer.headers ?? {})
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  Object.assign(receiver, {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    waitFor(count: number, timeoutMs = 10_000) {
      if (receiver.requests.length >= count) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const waiter = { count, resolve }
        waiters.push(waiter)
        // A real-time guard (fake timers do not touch this one).
        const guard = globalThis.performance.now() + timeoutMs
        const check = () => {
          if (!waiters.includes(waiter)) return
          if (globalThis.performance.now() > guard) {
            waiters.splice(waiters.indexOf(waiter), 1)
            reject(new Error(`receiver got ${receiver.requests.length} requests, expected ${count}`))
            return
          }
          setImmediate(check)
        }
        setImmediate(check)
      })
    },
    release() {
      for (const res of hanging.splice(0)) {
        res.writeHead(200)
        res.end()
      }
    },
    async close() {
      receiver.release()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  })
  return receiver
}
