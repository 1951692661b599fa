import { describe, expect, it } from 'vitest'
import { createSafeLogger, redact } from '../../src/index.js'
import { pairedSession, startManager } from '../helpers/manager.js'
import { createCaptureLogger } from '../helpers/capture-logger.js'
import { proxy } from '../../src/plugins/proxy/index.js'

describe('redaction', () => {
  it('replaces secret fields at any depth and credentials inside URLs', () => {
    const out = redact({
      creds: { noiseKey: { private: Buffer.from([1]) } },
      nested: { webhook: { secret: 's3cret', url: 'https://u:pw@host/x' }, password: 'p', apiKey: 'k', bytes: new Uint8Array(3) },
      err: Object.assign(new Error('connect to postgres://app:hunter2@db/x failed'), { code: 'E' }),
    }) as Record<string, any>
    const text = JSON.stringify(out)
    for (const secret of ['s3cret', 'pw@', '"p"', '"k"', 'hunter2']) expect(text).not.toContain(secret)
    expect(out.creds).toBe('[redacted]')
    expect(out.nested.bytes).toBe('[3 bytes]')
    expect(out.err).toMatchObject({ type: 'Error', code: 'E', message: expect.stringContaining('app:[redacted]@db') })
  })

  it('a safe logger skips disabled levels and keeps children safe', () => {
    const { logger, lines } = createCaptureLogger('info')
    const safe = createSafeLogger(logger).child({ sessionId: 'a', token: 'tok' })
    safe.debug({ x: 1 }, 'not shown')
    safe.info({ password: 'pw' }, 'shown')
    expect(lines).toEqual([{ level: 'info', bindings: { sessionId: 'a', token: '[redacted]' }, args: [{ password: '[redacted]' }, 'shown'] }])
  })
})

describe('logging through a whole session lifecycle', () => {
  it('uses a child logger per session, routes Baileys through it, and never logs secrets', async () => {
    const { logger, lines, text } = createCaptureLogger('trace')
    // The proxy plugin applies the session's proxy (its agents are built but the mock socket never dials them).
    const h = await startManager({ logger, plugins: [proxy({ check: false })] })
    const s = await pairedSession(h, 'logged')
    await s.update({ webhooks: [{ url: 'https://hook.example', secret: 'whsec-do-not-log' }], proxy: { url: 'socks5://me:proxy-secret@p:1080' } })
    h.mock.disconnect(s.id, 428)
    await s.waitFor('reconnecting')
    await s.waitFor('connected')
    await s.sendText('5511988887777', 'hi')
    await s.logout()
    await h.manager.stop()
    const config = h.mock.sockets(s.id)[0]!.options.config
    // Baileys gets a child of the session's logger.
    config.logger!.info({ creds: config.auth.creds }, 'baileys line')
    const baileysLine = lines.find((l) => l.args[1] === 'baileys line')!
    expect(baileysLine.bindings).toEqual({ sessionId: s.id, module: 'baileys' })
    expect(lines.some((l) => l.bindings.sessionId === s.id && l.args[1] === 'connection closed')).toBe(true)
    const all = text()
    expect(all).not.toContain('whsec-do-not-log')
    expect(all).not.toContain('proxy-secret')
    const creds = config.auth.creds
    for (const key of [creds.noiseKey.private, creds.signedIdentityKey.private, creds.signedPreKey.keyPair.private]) {
      expect(all).not.toContain(Buffer.from(key).toString('base64'))
    }
  })
})
