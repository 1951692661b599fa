import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { proto } from '@whiskeysockets/baileys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { managedHarness, pairedSession } from '../helpers/manager.js'

const harness = managedHarness()
async function connected(options: Parameters<typeof harness>[0] = {}) {
  const h = await harness(options)
  const s = await pairedSession(h, 'sender')
  return { h, s }
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
let server: Server
let base: string
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/cat.png') {
      res.writeHead(200, { 'content-type': 'image/png' })
      res.end(PNG)
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/cat.png' })
      res.end()
    } else if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' })
      res.end()
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(10_000) })
      res.end(Buffer.alloc(10_000))
    } else if (req.url === '/chunked-big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1_000))
      res.end()
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('sending', () => {
  it('sends every kind of message with the right Baileys content', async () => {
    const { h, s } = await connected()
    const to = '5511988887777'
    const jid = `${to}@s.whatsapp.net`
    const text = await s.sendText(to, 'hello', { mentions: ['5511977776666@s.whatsapp.net'] })
    await s.sendLocation(to, { latitude: -23.55, longitude: -46.63, name: 'SP' })
    await s.sendContact(to, { fullName: 'Ana; Lima', phoneNumber: '+55 11 97777-6666' })
    await s.sendReaction(to, text.key, '👍')
    await s.sendPoll(`120363000000000001@g.us`, { name: 'Lunch?', options: ['yes', 'no'] })
    await s.editMessage(to, text.key, 'hello (edited)')
    await s.deleteMessage(to, text.key)
    await s.send(to, { text: 'raw' })
    const sent = h.mock.sent(s.id)
    expect(sent.map((m) => m.jid)).toEqual([jid, jid, jid, jid, '120363000000000001@g.us', jid, jid, jid])
    expect(sent[0]!.content).toEqual({ text: 'hello', mentions: ['5511977776666@s.whatsapp.net'] })
    expect(sent[1]!.content).toEqual({ location: { degreesLatitude: -23.55, degreesLongitude: -46.63, name: 'SP' } })
    const vcard = (sent[2]!.content as { contacts: { contacts: { vcard: string }[] } }).contacts.contacts[0]!.vcard
    expect(vcard).toContain('FN:Ana\\; Lima')
    expect(vcard).toContain('waid=5511977776666:+5511977776666')
    expect(sent[3]!.content).toEqual({ react: { text: '👍', key: text.key } })
    expect(sent[4]!.content).toEqual({ poll: { name: 'Lunch?', values: ['yes', 'no'], selectableCount: 1 } })
    expect(sent[5]!.content).toMatchObject({ text: 'hello (edited)', edit: { id: text.key.id, fromMe: true } })
    expect(sent[6]!.content).toMatchObject({ delete: { id: text.key.id, remoteJid: jid } })
    expect(s.stats.messagesSent).toBe(8)
  })

  it('accepts every recipient notation and normalizes it', async () => {
    const { h, s } = await connected()
    for (const to of ['+55 (11) 98888-7777', '005511988887777', '5511988887777@c.us', '5511988887777@s.whatsapp.net']) {
      await s.sendText(to, 'x')
    }
    await s.sendText('123456789012345@lid', 'to a lid')
    await s.sendText('5511999999999-1600000000@g.us', 'old group')
    expect(h.mock.sent(s.id).map((m) => m.jid)).toEqual([
      ...Array(4).fill('5511988887777@s.whatsapp.net'),
      '123456789012345@lid',
      '5511999999999-1600000000@g.us',
    ])
  })

  it('validates content before anything is sent', async () => {
    const { h, s } = await connected()
    await expect(s.sendLocation('5511988887777', { latitude: 91, longitude: 0 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendPoll('5511988887777', { name: 'q', options: ['only one'] })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendPoll('5511988887777', { name: 'q', options: ['a', 'a'] })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendReaction('5511988887777', {} as never, '👍')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendContact('5511988887777', { fullName: 'x', phoneNumber: 'abc' })).rejects.toMatchObject({ code: 'INVALID_PHONE' })
    await expect(s.sendMedia('5511988887777', { url: 'x', base64: 'aGk=' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendMedia('5511988887777', { url: 'file:///etc/passwd' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    await expect(s.sendMedia('5511988887777', { base64: '%%%' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    expect(h.mock.sent(s.id)).toHaveLength(0)
  })
})

describe('media', () => {
  it('from a URL, base64 (data URL), buffer and stream, typed from the data', async () => {
    const { h, s } = await connected()
    await s.sendMedia('5511988887777', { url: `${base}/cat.png`, caption: 'cat' })
    await s.sendMedia('5511988887777', { base64: `data:application/pdf;base64,${Buffer.from('%PDF-1.4').toString('base64')}`, fileName: 'a.pdf' })
    await s.sendMedia('5511988887777', { buffer: PNG, type: 'sticker' })
    await s.sendMedia('5511988887777', { stream: Readable.from([Buffer.from('OggS'), Buffer.alloc(10)]), type: 'voice' })
    await s.sendMedia('5511988887777', { buffer: Buffer.from('plain text'), fileName: 'notes.txt' })
    const [image, pdf, sticker, voice, doc] = h.mock.sent(s.id).map((m) => m.content as Record<string, unknown>)
    expect(image).toMatchObject({ mimetype: 'image/png', caption: 'cat' })
    expect(Buffer.compare(image!.image as Buffer, PNG)).toBe(0)
    expect(pdf).toMatchObject({ mimetype: 'application/pdf', fileName: 'a.pdf' })
    expect(sticker).toMatchObject({ mimetype: 'image/webp' })
    expect(voice).toMatchObject({ ptt: true, mimetype: 'audio/ogg; codecs=opus' })
    expect((voice!.audio as Buffer).length).toBe(14)
    expect(doc).toMatchObject({ mimetype: 'text/plain', fileName: 'notes.txt' })
  })

  it('download failures and oversized downloads are coded errors', async () => {
    const { h, s } = await connected({ maxMediaBytes: 5_000 })
    await expect(s.sendMedia('5511988887777', { url: `${base}/missing` })).rejects.toMatchObject({ code: 'MEDIA_DOWNLOAD_FAILED' })
    await expect(s.sendMedia('5511988887777', { url: `${base}/big` })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    await expect(s.sendMedia('5511988887777', { url: `${base}/chunked-big` })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    await expect(s.sendMedia('5511988887777', { url: 'http://127.0.0.1:1/x' })).rejects.toMatchObject({ code: 'MEDIA_DOWNLOAD_FAILED' })
    expect(h.mock.sent(s.id)).toHaveLength(0)
  })
})

describe('media URLs and the network', () => {
  it('follows redirects, but not forever', async () => {
    const { h, s } = await connected()
    await s.sendMedia('5511988887777', { url: `${base}/redirect` })
    expect(h.mock.sent(s.id)[0]!.content).toMatchObject({ mimetype: 'image/png' })
    await expect(s.sendMedia('5511988887777', { url: `${base}/loop` })).rejects.toMatchObject({
      code: 'MEDIA_DOWNLOAD_FAILED',
      message: expect.stringContaining('redirects'),
    })
  })

  it('blockPrivateNetworks refuses loopback and private hosts, by address or by name', async () => {
    const { h, s } = await connected({ blockPrivateNetworks: true })
    for (const url of [`${base}/cat.png`, base.replace('127.0.0.1', 'localhost') + '/cat.png', 'http://10.1.2.3/x.png', 'http://[::1]/x.png']) {
      await expect(s.sendMedia('5511988887777', { url })).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'url' } })
    }
    expect(h.mock.sent(s.id)).toHaveLength(0)
  })
})

describe('getMessage for retries', () => {
  it('serves what was sent from the sent-message store and undefined on a miss', async () => {
    const { h, s } = await connected()
    const sent = await s.sendText('5511988887777', 'please retry me')
    const getMessage = h.mock.socket(s.id)!.options.config.getMessage!
    const found = await getMessage(sent.key)
    expect(proto.Message.create(found!).extendedTextMessage?.text).toBe('please retry me')
    expect(await getMessage({ ...sent.key, id: 'unknown-id' })).toBeUndefined()
  })

  it('keeps it bounded', async () => {
    const { h, s } = await connected({ sentMessageLimit: 3 })
    const keys = []
    for (let i = 0; i < 5; i++) keys.push((await s.sendText('5511988887777', `m${i}`)).key)
    const getMessage = h.mock.socket(s.id)!.options.config.getMessage!
    expect(await getMessage(keys[0]!)).toBeUndefined()
    expect(await getMessage(keys[1]!)).toBeUndefined()
    expect(await getMessage(keys[4]!)).toBeDefined()
  })
})

describe('send queue', () => {
  it('is FIFO and fails queued sends cleanly when the session disconnects', async () => {
    const { h, s } = await connected({ rateLimit: { perSecond: 20, burst: 1 } })
    const results = Array.from({ length: 5 }, (_, i) => s.sendText('5511988887777', `q${i}`).then(() => 'sent', (e: { code: string }) => e.code))
    await new Promise((r) => setTimeout(r, 70))
    await s.disconnect()
    const outcomes = await Promise.all(results)
    const sent = h.mock.sent(s.id).map((m) => (m.content as { text: string }).text)
    expect(sent).toEqual(outcomes.flatMap((o, i) => (o === 'sent' ? [`q${i}`] : [])))
    expect(outcomes[0]).toBe('sent')
    expect(outcomes.at(-1)).toBe('SESSION_NOT_CONNECTED')
  })

  it('answers RATE_LIMITED when the queue is full', async () => {
    const { s } = await connected({ rateLimit: { perSecond: 1, burst: 1 }, maxQueuedSends: 2 })
    const first = s.sendText('5511988887777', '1')
    const second = s.sendText('5511988887777', '2')
    const third = s.sendText('5511988887777', '3')
    const fourth = s.sendText('5511988887777', '4')
    await expect(fourth).rejects.toMatchObject({ code: 'RATE_LIMITED' })
    await first
    await s.disconnect()
    await Promise.allSettled([second, third])
  })

  it('uses the session rate limit over the manager default', async () => {
    const { h, s } = await connected({ rateLimit: { perSecond: 1, burst: 1 } })
    const throttled = Array.from({ length: 3 }, (_, i) => s.sendText('5511988887777', `slow${i}`).catch(() => undefined))
    await new Promise((r) => setTimeout(r, 100))
    // The manager default (1/s, burst 1) lets one through and holds the rest.
    expect(h.mock.sent(s.id)).toHaveLength(1)
    await s.update({ rateLimit: { perSecond: 1000, burst: 50 } })
    await Promise.all(throttled)
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.sendText('5511988887777', `fast${i}`)))
    expect(h.mock.sent(s.id)).toHaveLength(23)
  })
})
