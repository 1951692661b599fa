import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnTs } from './process.js'
import { openSse } from './sse-client.js'

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'wafleet-server-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const start = (env: Record<string, string> = {}) =>
  spawnTs('src/server.ts', { cwd: EXAMPLE_DIR, args: ['--demo'], env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...env } })

const call = (url: string, key: string, method = 'GET', body?: unknown) =>
  fetch(url, { method, headers: { 'x-api-key': key, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }).then(
    async (response) => ({ status: response.status, body: await response.json() }),
  )

describe('npm run demo (the real entry point, in a child process)', () => {
  it('prints a generated admin key once, stops with exit 0 on SIGTERM, and restores its sessions on the next start', async () => {
    const first = start()
    const [, key] = await first.waitFor(/Admin key \(shown only now[^\n]*\n\s*\n\s*(\S+)/)
    const [, url] = await first.waitFor(/listening on (http:\/\/\S+)/)
    expect(key).toMatch(/^wfa_/)
    expect((await call(`${url}/health`, '')).body).toMatchObject({ status: 'ok', demo: true })

    const created = await call(`${url}/sessions`, key!, 'POST', { name: 'restored' })
    const id = created.body.session.id as string
    await call(`${url}/sessions/${id}/connect`, key!, 'POST')
    await call(`${url}/sessions/${id}/qr`, key!) // waits for the QR
    const sse = await openSse(`${url}/sessions/${id}/events`, key!)
    await sse.next((e) => e.event === 'ready')
    await call(`${url}/demo/sessions/${id}/scan`, key!, 'POST', {})
    await sse.next((e) => e.event === 'session.status' && e.data.data.status === 'connected')

    // An open event stream must not hold the shutdown.
    first.child.kill('SIGTERM')
    expect(await first.exited()).toBe(0)
    sse.close()
    // The key is printed by the process, never written to its log lines.
    expect(first.output().split(key!).length - 1).toBe(1)

    const second = start()
    const [, url2] = await second.waitFor(/listening on (http:\/\/\S+)/)
    expect(second.output()).not.toContain('Admin key')
    // The session was connected when the process stopped: it comes back connected, without a scan.
    const deadline = Date.now() + 10_000
    let status = ''
    while (Date.now() < deadline && status !== 'connected') {
      status = (await call(`${url2}/sessions/${id}/status`, key!)).body.status
      if (status !== 'connected') await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(status).toBe('connected')
    second.child.kill('SIGINT')
    expect(await second.exited()).toBe(0)
  })

  it('refuses a bad configuration with a readable message and exit 1', async () => {
    const bad = start({ PORT: 'eighty', MAX_UPLOAD_SIZE: '-1' })
    expect(await bad.exited()).toBe(1)
    expect(bad.output()).toContain('Invalid configuration')
    expect(bad.output()).toContain('PORT')
    expect(bad.output()).toContain('MAX_UPLOAD_SIZE')
  })
})
