import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSilentLogger, type SessionStatus } from 'wafleet'
import type { GatewayConfig } from '../src/config.js'
import { startGateway, type RunningGateway } from '../src/start.js'

export const ADMIN_KEY = 'test-admin-key-not-secret-0123456789'

export interface Reply<T = any> {
  status: number
  body: T
  headers: Headers
}

export interface Client {
  get<T = any>(path: string): Promise<Reply<T>>
  post<T = any>(path: string, body?: unknown): Promise<Reply<T>>
  patch<T = any>(path: string, body?: unknown): Promise<Reply<T>>
  delete<T = any>(path: string): Promise<Reply<T>>
  /** Sends a raw body (malformed JSON, huge payloads). */
  raw<T = any>(method: string, path: string, body: string, headers?: Record<string, string>): Promise<Reply<T>>
}

export interface TestGateway {
  url: string
  gateway: RunningGateway
  config: GatewayConfig
  admin: Client
  /** A client sending `key` as X-API-Key (or nothing when undefined). */
  as(key: string | undefined, style?: 'x-api-key' | 'bearer'): Client
  /** Creates a session through the API and returns its id and token. */
  createSession(client?: Client, body?: Record<string, unknown>): Promise<{ id: string; token: string }>
  /** Creates, connects and scans (demo) a session: it ends up connected. */
  connectedSession(client?: Client, body?: Record<string, unknown>): Promise<{ id: string; token: string }>
  waitForStatus(id: string, status: SessionStatus, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

function client(base: string, headers: Record<string, string>): Client {
  const call = async (method: string, path: string, body: string | undefined, extra: Record<string, string> = {}) => {
    const response = await fetch(base + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
      ...(body === undefined ? {} : { body }),
    })
    const type = response.headers.get('content-type') ?? ''
    const parsed = type.includes('json') ? await response.json() : type.startsWith('image/') ? Buffer.from(await response.arrayBuffer()) : await response.text()
    return { status: response.status, body: parsed, headers: response.headers }
  }
  const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value))
  return {
    get: (path) => call('GET', path, undefined),
    post: (path, body) => call('POST', path, json(body ?? {})),
    patch: (path, body) => call('PATCH', path, json(body ?? {})),
    delete: (path) => call('DELETE', path, undefined),
    raw: (method, path, body, extra) => call(method, path, body, extra),
  }
}

let counter = 0

/** The gateway in demo mode on a fresh SQLite directory, listening on a free loopback port. */
export async function startTestGateway(overrides: Partial<GatewayConfig> = {}): Promise<TestGateway> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'wafleet-gateway-'))
  const config: GatewayConfig = {
    port: 0,
    host: '127.0.0.1',
    demo: true,
    databaseUrl: null,
    databaseSchema: 'wafleet',
    dataDir,
    adminKey: ADMIN_KEY,
    maxUploadSize: 1024 * 1024,
    blockPrivateNetworks: false,
    encryptionKey: null,
    logLevel: 'silent',
    ...overrides,
  }
  const gateway = await startGateway(config, createSilentLogger())
  const server: Server = gateway.app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const as: TestGateway['as'] = (key, style = 'x-api-key') =>
    client(url, key === undefined ? {} : style === 'bearer' ? { authorization: `Bearer ${key}` } : { 'x-api-key': key })
  const admin = as(config.adminKey ?? gateway.generatedAdminKey ?? undefined)

  const test: TestGateway = {
    url,
    gateway,
    config,
    admin,
    as,
    async createSession(by = admin, body = {}) {
      const reply = await by.post('/sessions', { name: `s${++counter}`, ...body })
      if (reply.status !== 201) throw new Error(`create failed: ${reply.status} ${JSON.stringify(reply.body)}`)
      return { id: reply.body.session.id, token: reply.body.token }
    },
    async connectedSession(by = admin, body = {}) {
      const created = await test.createSession(by, body)
      await by.post(`/sessions/${created.id}/connect`)
      await test.waitForStatus(created.id, 'qr')
      const scan = await admin.post(`/demo/sessions/${created.id}/scan`)
      if (scan.status !== 200) throw new Error(`scan failed: ${scan.status} ${JSON.stringify(scan.body)}`)
      await test.waitForStatus(created.id, 'connected')
      return created
    },
    async waitForStatus(id, status, timeoutMs = 5_000) {
      await gateway.manager.getOrThrow(id).waitFor(status, timeoutMs)
    },
    async close() {
      gateway.closeStreams()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await gateway.stop()
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return test
}

/** Polls `check` until it returns a truthy value (for things that happen a moment later). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
