import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestGateway, type TestGateway } from './helpers.js'

const README = fileURLToPath(new URL('../../../README.md', import.meta.url))

/** The README's curl walk-through, as a user would paste it (between its markers). */
function walkthrough(): string {
  const text = readFileSync(README, 'utf8')
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(text)
  if (!block) throw new Error('README.md has no walk-through between <!-- walkthrough:start --> and <!-- walkthrough:end -->')
  return block[1]!
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let gw: TestGateway
let cwd: string
beforeAll(async () => {
  gw = await startTestGateway()
  cwd = mkdtempSync(join(tmpdir(), 'wafleet-readme-'))
})
afterAll(async () => {
  await gw?.close()
  rmSync(cwd, { recursive: true, force: true })
})

describe('README "Run the gateway"', () => {
  it('the curl walk-through works as written against the demo gateway', async () => {
    const port = await freePort()
    // Only the placeholders change: the admin key and URL come from the environment, the receiver gets a free port.
    const script = walkthrough()
      .replace(/^export WAFLEET=.*$/m, '')
      .replaceAll('4000', String(port))
    const child = spawn('bash', ['-e', '-c', script], { cwd, env: { ...process.env, WAFLEET: gw.url, KEY: gw.config.adminKey! }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))

    expect(code, output).toBe(0)
    expect(output).not.toMatch(/"statusCode":\s*[45]\d\d/)
    expect(output).toContain('"status":"connected"')
    expect(statSync(join(cwd, 'qr.png')).size).toBeGreaterThan(500)
    expect(output).toMatch(/^webhook: messages\.upsert .*"text":"ping"/m)
    expect(output).toMatch(/^webhook: messages\.upsert .*You said: \\"ping\\"/m)
    const session = (await gw.admin.get('/sessions/shop')).body
    expect(session.stats).toMatchObject({ messagesSent: 3 })
    expect(session.webhooks[0].secret).toBe('[redacted]')
  })
})
