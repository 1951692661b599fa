import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature } from 'wafleet/plugins/webhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startTestGateway, type TestGateway } from './helpers.js'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

let receiver: ReturnType<typeof createServer>
let receiverUrl: string
const received: Received[] = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.end('ok')
    })
  })
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
})
afterAll(() => new Promise((resolve) => receiver.close(resolve)))

describe('webhooks through the gateway', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway() // the demo default: private receivers allowed
  })
  afterAll(() => gw?.close())

  it('delivers a session\'s events, signed, to the endpoint set through the API', async () => {
    const secret = 'a-webhook-secret-for-tests'
    const { id } = await gw.connectedSession(gw.admin, { webhooks: [{ url: receiverUrl, events: ['messages.upsert'], secret }] })
    await gw.admin.post(`/sessions/${id}/messages/text`, { to: '5511900000003', text: 'ping' })
    const reply = await eventually(() =>
      received.find((r) => {
        const body = JSON.parse(r.body)
        // Not the phone's own protocol messages after the link (notify, fromMe): the contact's answer.
        return body.sessionId === id && body.data.type === 'notify' && !body.data.messages[0].key.fromMe
      }),
    )
    const body = JSON.parse(reply.body)
    expect(body).toMatchObject({ event: 'messages.upsert', sessionId: id, tenantId: null })
    expect(body.data.messages[0].message.conversation).toBe('You said: "ping"')
    expect(verifyWebhookSignature({ secret, headers: reply.headers as Record<string, string>, body: reply.body })).toBe(true)
  })
})

describe('with BLOCK_PRIVATE_NETWORKS on (the default outside the demo)', () => {
  it('refuses a webhook endpoint on a private address', async () => {
    const gw = await startTestGateway({ blockPrivateNetworks: true })
    try {
      const reply = await gw.admin.post('/sessions', { name: 'internal', webhooks: [{ url: receiverUrl }] })
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('WEBHOOK_INVALID')
    } finally {
      await gw.close()
    }
  })
})
