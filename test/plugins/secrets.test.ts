/**
 * Secrets (webhook secrets, header values, credentials in URLs, proxy passwords) never reach a log
 * line, an event, a delivery body or an error message, also when things go wrong.
 */
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../src/index.js'
import { proxy } from '../../src/plugins/proxy/index.js'
import { webhooks } from '../../src/plugins/webhooks/index.js'
import { createCaptureLogger } from '../helpers/capture-logger.js'
import { managedHarness } from '../helpers/manager.js'
import { startHttpProxy } from './helpers/proxies.js'
import { until } from './helpers/until.js'
import { receivers } from './helpers/webhooks.js'

const start = managedHarness()
const receiver = receivers()
const SECRETS = ['hmac-secret-0123456789', 'header-token-value', 'url-password-xyz', 'proxy-password-abc']

describe('secrets', () => {
  it('stay out of logs, events, payloads and errors', async () => {
    const { logger, text } = createCaptureLogger()
    const failing = await receiver(() => ({ status: 500, body: 'nope' }))
    const seen: unknown[] = []
    const h = await start({ storage: createMemoryStorage(), logger, plugins: [webhooks({ timeoutMs: 500 }), proxy({ checkTimeoutMs: 1_000 })] })
    h.manager.on('*', (event) => seen.push(event))
    const url = failing.url.replace('http://', 'http://user:url-password-xyz@')
    const s = await h.manager.create({
      name: 'secretive',
      webhooks: [{ url, secret: 'hmac-secret-0123456789', headers: { 'X-Token': 'header-token-value' }, retry: { attempts: 1 } }],
    })
    await until(async () => (await h.manager.webhooks.deliveries({ status: 'dead' })).length > 0, 'a dead letter')
    // The receiver does get the credentials it is meant to get (basic auth, its header), nothing else.
    expect(failing.requests[0]!.headers['x-token']).toBe('header-token-value')
    expect(failing.requests[0]!.body).not.toMatch(/hmac-secret|header-token|url-password/)

    const down = await startHttpProxy()
    await down.close()
    const errors: string[] = []
    await s.update({ proxy: { url: `http://user:proxy-password-abc@127.0.0.1:${down.port}` } }).catch((error: Error) => errors.push(error.message, JSON.stringify(error)))
    await s.update({ webhooks: [{ url: 'ftp://user:url-password-xyz@x', secret: 'hmac-secret-0123456789' }] }).catch((error: Error) => errors.push(error.message, JSON.stringify(error)))
    expect(errors).toHaveLength(4)

    const everything = [text(), JSON.stringify(seen), JSON.stringify(s.info()), errors.join('\n'), JSON.stringify(await h.manager.webhooks.deliveries({ includeBody: true }))].join('\n')
    for (const secret of SECRETS) expect(everything, secret).not.toContain(secret)
  })
})
