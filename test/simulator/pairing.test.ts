// Pairing and login of the real, unmodified Baileys socket against the simulator.
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage, createSilentLogger, type Logger } from '../../src/index.js'
import { installSimulatorTrust, isSimulatorTrusted, simulatorRootPublicKey, startWhatsAppSimulator } from '../../src/testing/index.js'
import { verifyXEdDSA } from '../../src/testing/simulator/xeddsa.js'
import { connect, freshAuth, logger, pairByQr, simulatorPerTest, until } from './harness.js'

const PHONE = '5511999990001'
const newSimulator = simulatorPerTest()

describe('QR pairing', () => {
  it('shows a QR, pairs on scan, restarts with 515, then logs in with the new creds and opens', async () => {
    const sim = await newSimulator()
    const storage = createMemoryStorage()
    const auth = await freshAuth(storage)
    const first = connect(sim, auth)
    const qr = await first.qr
    // ref, noise key, identity key, ADV secret, platform: what a phone reads from the QR.
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#[^,]+,[^,]+,[^,]+,[^,]+,\d+$/)
    expect(qr).toContain(Buffer.from(auth.state.creds.noiseKey.public).toString('base64'))

    const device = await sim.scanQr(qr, { phone: PHONE, pushName: 'Ana' })
    expect(await first.closed).toEqual({ code: 515, message: 'Stream Errored (restart required)' })
    expect(first.updates).toContainEqual({ isNewLogin: true, qr: undefined })
    const { creds } = auth.state
    expect(creds.me?.id).toBe(`${PHONE}:${device.deviceId}@s.whatsapp.net`)
    expect(creds.account?.accountSignatureKey).toBeTruthy()
    expect(creds.account?.deviceSignature).toBeTruthy()
    expect(creds.platform).toBe('android')
    expect(device).toMatchObject({ phone: PHONE, jid: creds.me?.id, connected: false })

    const second = connect(sim, auth)
    await second.opened
    expect(second.updates.some((update) => update.qr)).toBe(false)
    expect(auth.state.creds.me?.lid).toBe(device.lid)
    // The first login uploads Baileys' initial 812 pre-keys (the phone then used one).
    expect(sim.devices()).toEqual([expect.objectContaining({ jid: creds.me?.id, connected: true, preKeys: 811 })])
    expect(second.updates).toContainEqual({ receivedPendingNotifications: true })
    // The push name comes through app state: the phone shares the key, then the patch is synced.
    await until(() => auth.state.creds.me?.name === 'Ana')
  })

  it('a new socket with stored creds logs in straight to open, no QR', async () => {
    const sim = await newSimulator()
    const { storage } = await pairByQr(sim, PHONE)
    const firstLogin = connect(sim, await freshAuth(storage))
    await firstLogin.opened
    await until(() => firstLogin.auth.state.creds.me?.name)
    await firstLogin.sock.end(undefined)

    // As after a process restart: the creds come back from storage into a new socket.
    const restored = await freshAuth(storage)
    expect(restored.state.creds.me?.id).toMatch(new RegExp(`^${PHONE}:\\d+@s\\.whatsapp\\.net$`))
    const client = connect(sim, restored)
    await client.opened
    expect(client.updates.filter((update) => update.qr)).toEqual([])
    expect(sim.devices()).toEqual([expect.objectContaining({ phone: PHONE, connected: true })])
    // With the push name in its creds (synced at the first login) Baileys announces itself online.
    await until(() => client.updates.some((update) => update.isOnline === true))
  })

  it('refuses creds it never paired with 401', async () => {
    const sim = await newSimulator()
    const other = await startWhatsAppSimulator({ logger })
    const { auth } = await pairByQr(other, PHONE)
    await other.close()
    const client = connect(sim, auth)
    expect(await client.closed).toEqual({ code: 401, message: 'Connection Failure' })
  })

  it('ends with 408 when every QR ref has been shown and nobody scanned', async () => {
    const sim = await startWhatsAppSimulator({ logger, qrRefs: 2 })
    try {
      const client = connect(sim, await freshAuth(), { qrTimeout: 100 })
      expect(await client.closed).toEqual({ code: 408, message: 'QR refs attempts ended' })
      expect(client.updates.filter((update) => update.qr)).toHaveLength(2)
    } finally {
      await sim.close()
    }
  })

  it('rejects a QR that no connected client shows', async () => {
    const sim = await newSimulator()
    const client = connect(sim, await freshAuth())
    const qr = await client.qr
    const forged = qr.replace(/#[^,]+,/, '#bm90LWEtcmVm,')
    await expect(sim.scanQr(forged, { phone: PHONE })).rejects.toMatchObject({ code: 'PAIRING_FAILED' })
    await expect(sim.scanQr('hello', { phone: PHONE })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
    expect(sim.devices()).toEqual([])
  })
})

describe('pairing code', () => {
  it('links with the code from requestPairingCode, then 515 and a normal login', async () => {
    const sim = await newSimulator()
    const auth = await freshAuth()
    const client = connect(sim, auth)
    await client.qr // the socket is ready for a code once it shows QRs
    const code = await client.sock.requestPairingCode(PHONE)
    expect(code).toMatch(/^[1-9A-HJ-NP-Z]{8}$/)

    const device = await sim.enterPairingCode(code, { phone: PHONE })
    expect(await client.closed).toMatchObject({ code: 515 })
    expect(auth.state.creds.registered).toBe(true)
    expect(auth.state.creds.me?.id).toBe(device.jid)
    expect(auth.state.creds.account?.deviceSignature).toBeTruthy()

    const next = connect(sim, auth)
    await next.opened
    expect(sim.devices()).toEqual([expect.objectContaining({ jid: device.jid, connected: true })])
  })

  it('a wrong code fails the pairing and links nothing', async () => {
    const sim = await newSimulator()
    const client = connect(sim, await freshAuth())
    await client.qr
    const code = await client.sock.requestPairingCode(PHONE)
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`
    await expect(sim.enterPairingCode(wrong, { phone: PHONE })).rejects.toMatchObject({ code: 'PAIRING_FAILED' })
    expect(sim.devices()).toEqual([])
  })
})

describe('trust', () => {
  it('canary: Baileys rc14 Curve.verify accepts forged signatures, so today it does not enforce the chain', () => {
    // When this fails, Baileys checks signatures for real: the trust swap becomes what lets it in.
    const key = Curve.generateKeyPair()
    const message = Buffer.from('intermediate certificate details')
    const forged = Buffer.from(Curve.sign(key.private, message))
    forged[10]! ^= 0xff
    expect(verifyXEdDSA(key.public, message, forged)).toBe(false)
    expect(Curve.verify(key.public, message, forged)).toBe(true)
  })

  it('with working signature checks, Baileys refuses the simulator until trusted, then pairs and logs in', async () => {
    const lenient = Curve.verify
    Curve.verify = verifyXEdDSA // what a fixed Baileys does: every signature really checked
    const sim = await startWhatsAppSimulator({ logger })
    try {
      const untrusted = connect(sim, await freshAuth())
      expect(await untrusted.closed).toEqual({ code: 400, message: 'noise intermediate certificate signature invalid' })

      sim.trust()
      const auth = await freshAuth()
      const client = connect(sim, auth)
      // Baileys also verifies the account signature of pair-success with Curve.verify.
      await sim.scanQr(await client.qr, { phone: PHONE })
      expect(await client.closed).toMatchObject({ code: 515 })
      await connect(sim, auth).opened
    } finally {
      Curve.verify = lenient
      await sim.close()
    }
  })

  it('installSimulatorTrust swaps WA_CERT_DETAILS.PUBLIC_KEY, nests, warns, and restores the original', () => {
    const original = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)
    const warnings: unknown[] = []
    const spy: Logger = { ...createSilentLogger(), warn: (...args: unknown[]) => void warnings.push(args) }
    const undoOuter = installSimulatorTrust(undefined, { logger: spy })
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(simulatorRootPublicKey())
    const other = Buffer.alloc(32, 7)
    const undoInner = installSimulatorTrust(other, { logger: spy })
    expect(isSimulatorTrusted(other)).toBe(true)
    undoInner()
    expect(isSimulatorTrusted()).toBe(true)
    undoOuter()
    undoOuter() // undoing twice is harmless
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY)).toEqual(original)
    expect(warnings).toHaveLength(2)
  })

  it('sim.close() undoes sim.trust()', async () => {
    const sim = await startWhatsAppSimulator({ logger })
    sim.trust()
    expect(isSimulatorTrusted()).toBe(true)
    await sim.close()
    expect(isSimulatorTrusted()).toBe(false)
    expect(() => sim.contact(PHONE)).toThrow(expect.objectContaining({ code: 'OPERATION_ABORTED' }))
  })
})
