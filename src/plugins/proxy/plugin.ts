import type { UserFacingSocketConfig } from '@whiskeysockets/baileys'
import type { Plugin } from '../types.js'
import { createProxyAgents, type ProxyAgents } from './agents.js'
import { resolveProxy } from './config.js'
import { testProxy } from './test-proxy.js'
import { ValidationError } from '../../errors.js'

export interface ProxyPluginOptions {
  /** Check every proxy with `testProxy` when a session is created or updated with one. @default true */
  check?: boolean
  /** What the check tunnels to; see `testProxy`. @default 'web.whatsapp.com:443' */
  checkTarget?: string | false
  /** @default 10000 */
  checkTimeoutMs?: number
}

interface SessionAgents {
  key: string
  agents: ProxyAgents
}

/**
 * A proxy per session (`session.proxy`) for the WebSocket, media upload and every fetch (media
 * download, link previews). A proxy is checked when it is configured: an invalid or unreachable
 * proxy is an error then, and a session with a proxy never connects without it.
 * See docs/plugins.md#proxy.
 */
export function proxy(options: ProxyPluginOptions = {}): Plugin {
  const settings = { check: true, checkTarget: 'web.whatsapp.com:443' as string | false, checkTimeoutMs: 10_000, ...options }
  if (!Number.isInteger(settings.checkTimeoutMs) || settings.checkTimeoutMs < 1) {
    throw new ValidationError('INVALID_CONFIG', 'proxy: checkTimeoutMs must be a positive integer', { details: { field: 'checkTimeoutMs' } })
  }
  return {
    name: 'proxy',
    setup(ctx) {
      const bySession = new Map<string, SessionAgents>()

      ctx.validateSession(async (input) => {
        if (input.proxy === undefined || input.proxy === null) return
        resolveProxy(input.proxy)
        if (settings.check) await testProxy(input.proxy, { target: settings.checkTarget, timeoutMs: settings.checkTimeoutMs })
      })

      ctx.socketConfig(async (session, config) => {
        const stored = session.proxy
        const current = bySession.get(session.id)
        if (!stored) {
          if (current) {
            bySession.delete(session.id)
            await current.agents.close()
          }
          return config
        }
        // A proxy that became invalid fails the session (ValidationError): it never falls back to a direct connection.
        const resolved = resolveProxy(stored)
        let entry = current
        if (!entry || entry.key !== resolved.url) {
          entry = { key: resolved.url, agents: await createProxyAgents(resolved) }
          bySession.set(session.id, entry)
          await current?.agents.close()
        }
        const { agent, dispatcher } = entry.agents
        return {
          ...config,
          agent: agent as UserFacingSocketConfig['agent'],
          fetchAgent: agent as UserFacingSocketConfig['fetchAgent'],
          // undici's own types and the ones bundled with @types/node differ in detail; the runtime contract is the same.
          options: { ...config.options, dispatcher } as unknown as UserFacingSocketConfig['options'],
        }
      })

      ctx.on('session.deleted', async ({ sessionId }) => {
        const entry = bySession.get(sessionId)
        bySession.delete(sessionId)
        await entry?.agents.close()
      })

      return async () => {
        const entries = [...bySession.values()]
        bySession.clear()
        await Promise.all(entries.map((entry) => entry.agents.close()))
      }
    },
  }
}
