/**
 * npm run bench:api: the example gateway (examples/express) under load with autocannon.
 *
 * The gateway runs as users run it (`npm run demo`: its own process, SQLite under a temporary
 * data directory, simulated WhatsApp from `wafleet/testing`), on loopback. One session is created,
 * connected and scanned through the API, then:
 *
 *   ref     GET  /status on a bare Express 5 app (one route, the same JSON): the ceiling of the rows below
 *   status  GET  /sessions/:id/status         with the admin key
 *   token   GET  /sessions/:id/status         with the session token (key lookup + SHA-256 + compare)
 *   text    POST /sessions/:id/messages/text  to a number outside the simulated network (the demo's
 *                                             contacts answer texts, which would add their replies
 *                                             to the load), one session, then spread over 10 sessions: a session
 *                                             sends one message at a time (its FIFO send queue),
 *                                             and each sent message is stored before the next
 *
 * The load average is printed with the figures: on a shared 2-core machine anything else running
 * takes its share, and autocannon itself needs one core.
 * Needs `npm run build` first (the gateway imports wafleet from dist/ like any user).
 * BENCH_SECONDS (default 10) per measurement; BENCH_CONNECTIONS (default 50).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const EXAMPLE_DIR = fileURLToPath(new URL('../examples/express/', import.meta.url))

interface Measured {
  name: string
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

/** The ceiling of the status route: Express 5 alone, one route answering the same JSON. */
const BARE_EXPRESS = `
const app = require('express')()
app.get('/status', (req, res) => res.json(JSON.parse(process.env.BODY)))
const server = app.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port))
`

/** Starts a server in its own process (in the example's folder) and resolves with the URL it prints. */
async function startServer(args: string[], env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, { cwd: EXAMPLE_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)))
  })
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(url + path, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = await response.json()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

async function measure(name: string, options: autocannon.Options): Promise<Measured> {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...options })
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  }
}

/** Creates a session through the API, connects it and plays the phone's scan. */
async function connectedSession(url: string, name: string): Promise<{ id: string; token: string }> {
  const { session, token } = await api(url, 'POST', '/sessions', { name })
  await api(url, 'POST', `/sessions/${session.id}/connect`)
  await api(url, 'GET', `/sessions/${session.id}/qr`) // waits for the QR
  await api(url, 'POST', `/demo/sessions/${session.id}/scan`, {})
  for (let i = 0; (await api(url, 'GET', `/sessions/${session.id}/status`)).status !== 'connected'; i++) {
    if (i > 100) throw new Error('the session did not connect')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { id: session.id, token }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wafleet-bench-api-'))
  const gateway = await startServer(['--import', 'tsx', 'src/server.ts', '--demo'], {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WAFLEET_ADMIN_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
  })
  let bare: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    const session = await connectedSession(gateway.url, 'bench')
    const token = session.token
    const others: { id: string }[] = []
    for (let i = 0; i < 10; i++) others.push(await connectedSession(gateway.url, `bench-${i}`))
    const status = `${gateway.url}/sessions/${session.id}/status`
    // A number that is not on the simulated network: the send goes through the whole Baileys path
    // (device lookup, relay, ack) and nobody answers, so replies do not load the measurement.
    const textBody = JSON.stringify({ to: '5511900000099', text: 'benchmark message' })
    let next = 0
    // Freshly linked devices upload 812 pre-keys each and sync with the simulated phone (Signal and
    // app-state work in the gateway's process): let that finish before measuring the HTTP path.
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_SETTLE_MS ?? 10_000)))
    // Warm up (JIT, caches) before measuring.
    await autocannon({ url: status, connections: 10, amount: 5_000, headers: { 'x-api-key': ADMIN_KEY } })

    bare = await startServer(['-e', BARE_EXPRESS], { BODY: JSON.stringify(await api(gateway.url, 'GET', `/sessions/${session.id}/status`)) })
    await autocannon({ url: `${bare.url}/status`, connections: 10, amount: 5_000 })

    const results = [
      await measure('reference: bare Express 5, one route, same JSON', { url: `${bare.url}/status` }),
      await measure('GET /sessions/:id/status (admin key)', { url: status, headers: { 'x-api-key': ADMIN_KEY } }),
      await measure('GET /sessions/:id/status (session token)', { url: status, headers: { 'x-api-key': token } }),
      await measure('POST /sessions/:id/messages/text (1 session)', {
        url: `${gateway.url}/sessions/${session.id}/messages/text`,
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: textBody,
      }),
      await measure('POST /sessions/:id/messages/text (10 sessions)', {
        url: gateway.url,
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            body: textBody,
            setupRequest: (request) => ({ ...request, path: `/sessions/${others[next++ % others.length]!.id}/messages/text` }),
          },
        ],
      }),
    ]
    let sent = 0
    for (const { id } of [session, ...others]) sent += (await api(gateway.url, 'GET', `/sessions/${id}`)).stats.messagesSent

    const load = loadavg().map((value) => value.toFixed(2)).join(' ')
    console.log(`\nnpm run bench:api: ${SECONDS} s per row, ${CONNECTIONS} connections, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average after the run ${load}\n`)
    console.log('| route | requests/s | p50 (ms) | p99 (ms) | errors | non-2xx |')
    console.log('|---|---|---|---|---|---|')
    for (const r of results) console.log(`| ${r.name} | ${r.requestsPerSecond.toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`)
    console.log(`\nmessages the sessions counted as sent: ${sent.toLocaleString('en-US')} (every 2xx above is one)`)
    const [reference, adminStatus] = results as [Measured, Measured]
    console.log(`status (admin key) / bare Express: ${(adminStatus.requestsPerSecond / reference.requestsPerSecond).toFixed(2)}`)
    const target = adminStatus.requestsPerSecond
    console.log(`target: >= 5,000 requests/s for status: ${target >= 5_000 ? 'met' : 'MISSED'} (${target.toLocaleString('en-US')})`)
  } finally {
    await bare?.stop()
    await gateway.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
