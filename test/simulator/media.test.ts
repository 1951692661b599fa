// Media through the simulator's HTTPS media host: the real Baileys socket uploads encrypted files
// (image, document, voice note), the contact's phone downloads, verifies and decrypts them; a contact
// sends an image that Baileys downloads and decrypts. The host's certificate is self-signed, issued
// at start-up: clients trust it explicitly, and without it the upload fails.
import { createHash, randomBytes, X509Certificate } from 'node:crypto'
import { Agent as HttpsAgent } from 'node:https'
import { downloadMediaMessage, type WAMessage } from '@whiskeysockets/baileys'
import { Agent as UndiciAgent, fetch as undiciFetch } from 'undici'
import { describe, expect, it } from 'vitest'
import type { WhatsAppSimulator } from '../../src/testing/index.js'
import { openPaired, simulatorPerTest, until } from './harness.js'

const PHONE = '5511999990001'
const CONTACT = '5511988887777'
const newSimulator = simulatorPerTest()
// A 1x1 PNG: a real image, so Baileys' thumbnail step has something valid to read.
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

/** What a Baileys client needs to upload to the simulator's media host (`fetchAgent`). */
const uploadAgent = (sim: WhatsAppSimulator) => new HttpsAgent({ ca: sim.certificate })
/**
 * What it needs to download (`options`, fetch's init): an undici dispatcher trusting the certificate.
 * The cast bridges the undici package's types and the copy @types/node bundles for global fetch.
 */
const downloadOptions = (sim: WhatsAppSimulator) => ({ dispatcher: new UndiciAgent({ connect: { ca: sim.certificate } }) }) as unknown as RequestInit

describe('media', () => {
  it('the media host presents a self-signed certificate for 127.0.0.1, issued at start-up', async () => {
    const sim = await newSimulator()
    const certificate = new X509Certificate(sim.certificate)
    expect(certificate.verify(certificate.publicKey)).toBe(true) // self-signed
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(certificate.publicKey.asymmetricKeyType).toBe('ec')
    expect(Date.parse(certificate.validFrom)).toBeLessThan(Date.now())
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now())
    expect(sim.mediaUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    // Another simulator, another key.
    const other = await newSimulator()
    expect(new X509Certificate(other.certificate).fingerprint256).not.toBe(certificate.fingerprint256)
    // Untrusted by default, trusted with the certificate as CA.
    await expect(fetch(`${sim.mediaUrl}/v/none`)).rejects.toThrow()
    const trusted = await undiciFetch(`${sim.mediaUrl}/v/none`, { dispatcher: new UndiciAgent({ connect: { ca: sim.certificate } }) })
    expect(trusted.status).toBe(404)
  })

  it('the socket sends an image, a document and a voice note: the contact downloads and decrypts the same bytes', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE, { fetchAgent: uploadAgent(sim) })
    const contact = sim.contact(CONTACT)
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(70_000)])
    const voice = randomBytes(9_000)

    const image = await client.sock.sendMessage(contact.jid, { image: PIXEL, caption: 'a pixel', mimetype: 'image/png' })
    const document = await client.sock.sendMessage(contact.jid, { document: pdf, mimetype: 'application/pdf', fileName: 'report.pdf' })
    const note = await client.sock.sendMessage(contact.jid, { audio: voice, ptt: true, mimetype: 'audio/ogg; codecs=opus' })

    const receivedImage = await contact.waitForMessage((m) => m.id === image!.key.id)
    expect(receivedImage.media).toMatchObject({ type: 'image', ptt: false, mimetype: 'image/png', caption: 'a pixel', size: PIXEL.length, error: undefined })
    expect(receivedImage.media!.data!.equals(PIXEL)).toBe(true)
    expect(receivedImage.text).toBeUndefined() // a caption is not a text message

    const receivedDocument = await contact.waitForMessage((m) => m.id === document!.key.id)
    expect(receivedDocument.media).toMatchObject({ type: 'document', mimetype: 'application/pdf', fileName: 'report.pdf', size: pdf.length, error: undefined })
    expect(receivedDocument.media!.data!.equals(pdf)).toBe(true)

    const receivedNote = await contact.waitForMessage((m) => m.id === note!.key.id)
    expect(receivedNote.media).toMatchObject({ type: 'audio', ptt: true, mimetype: 'audio/ogg; codecs=opus', size: voice.length, error: undefined })
    expect(receivedNote.media!.data!.equals(voice)).toBe(true)

    // The message carries the simulator's host and a WhatsApp-style direct path.
    expect(image!.message!.imageMessage!.url!.startsWith(`${sim.mediaUrl}/v/t62.7118-24/`)).toBe(true)
    expect(image!.message!.imageMessage!.directPath).toMatch(/^\/v\/t62\.7118-24\/\w+_n\.enc\?/)
  })

  it('without the certificate as CA the upload is refused by TLS, and the send fails', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT)
    await expect(client.sock.sendMessage(contact.jid, { image: PIXEL, mimetype: 'image/png' })).rejects.toThrow(/Media upload failed on all hosts/)
    expect(contact.messages()).toEqual([])
  })

  it('the upload endpoint checks the media_conn token and the file hash', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const dispatcher = new UndiciAgent({ connect: { ca: sim.certificate } })
    const post = (path: string, body: Buffer) => undiciFetch(`${sim.mediaUrl}${path}`, { method: 'POST', body, dispatcher })
    const body = randomBytes(100)
    const name = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url')

    expect((await post(`/mms/image/${name(body)}?auth=forged`, body)).status).toBe(401)
    const { auth, hosts } = await client.sock.refreshMediaConn(true)
    expect(hosts).toEqual([{ hostname: new URL(sim.mediaUrl).host, maxContentLengthBytes: expect.any(Number) }])
    const query = `?auth=${encodeURIComponent(auth)}`
    expect((await post(`/mms/image/${name(randomBytes(100))}${query}`, body)).status).toBe(400)
    expect((await post(`/mms/nothing/${name(body)}${query}`, body)).status).toBe(404)

    const accepted = await post(`/mms/document/${name(body)}${query}`, body)
    const { url, direct_path } = (await accepted.json()) as { url: string; direct_path: string }
    expect(url).toBe(`${sim.mediaUrl}${direct_path}&mms3=true`)
    const download = await undiciFetch(`${sim.mediaUrl}${direct_path}`, { dispatcher })
    expect(Buffer.from(await download.arrayBuffer()).equals(body)).toBe(true)
    const partial = await undiciFetch(`${sim.mediaUrl}${direct_path}`, { dispatcher, headers: { range: 'bytes=16-31' } })
    expect(partial.status).toBe(206)
    expect(Buffer.from(await partial.arrayBuffer()).equals(body.subarray(16, 32))).toBe(true)
  })

  it('a contact sends an image: Baileys downloads and decrypts it from the media host', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    const contact = sim.contact(CONTACT, { pushName: 'Maria' })

    const sent = await contact.sendMedia(PHONE, { image: PIXEL, caption: 'look', mimetype: 'image/png' })
    const upsert = await until(() => client.upserts.find((u) => u.messages.some((m) => m.key.id === sent.id)))
    const message = upsert.messages.find((m) => m.key.id === sent.id) as WAMessage
    expect(upsert.type).toBe('notify')
    expect(message.message?.imageMessage).toMatchObject({ caption: 'look', mimetype: 'image/png' })
    const bytes = await downloadMediaMessage(message, 'buffer', { options: downloadOptions(sim) })
    expect(bytes.equals(PIXEL)).toBe(true)
  })
})
