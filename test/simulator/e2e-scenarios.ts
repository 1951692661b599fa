// The end-to-end scenarios of issue 6, written once and run against each real storage adapter:
// SessionManager -> default socket factory (the unmodified Baileys socket) -> the simulator, with
// credentials and Signal keys in SQLite or Postgres. Scenarios are independent (own simulator, own
// database) and run concurrently; the reconnect expectations are SPEC capability 4's.
import { setTimeout as sleep } from 'node:timers/promises'
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import { describe, expect, it } from 'vitest'
import type { Session, SessionErrorEvent, SessionPairingCodeEvent, SessionRecord, SessionStatus, StorageAdapter } from '../../src/index.js'
import type { SimulatorFault } from '../../src/testing/index.js'
import { eventually } from '../helpers/manager.js'
import { textOf, until } from './harness.js'
import { nextStatus, openWorld, pairedSession, PHONE, storedCreds, type Backend, type World } from './e2e-world.js'

const CONTACT = '5511988887777'
/**
 * How long a test watches for a reconnect that must not happen. Reconnects are configured with
 * delays of at most 100 ms (e2e-world.ts), so a wrong reconnect would have started well within it.
 */
const NO_RECONNECT_WINDOW_MS = 600

async function storedKeyCount(storage: StorageAdapter, sessionId: string): Promise<number> {
  return (await storage.auth.scanKeys(sessionId, { limit: 5_000 })).length
}

/** Statuses from the `from`-th status event on, without codes. */
function statusesSince(world: World, sessionId: string, from: number): string[] {
  return world.statuses(sessionId).slice(from).map(({ status }) => status)
}

function errorsOf(world: World, sessionId: string): string[] {
  return world.events.filter((event) => event.event === 'session.error' && event.sessionId === sessionId).map((event) => (event.data as SessionErrorEvent).code)
}

/** The stored record gets there: the status is written in the background, after the event. */
async function expectStoredRecord(world: World, sessionId: string, expected: Partial<SessionRecord>): Promise<void> {
  await eventually(async () => expect(await world.storage.sessions.get(sessionId)).toMatchObject(expected))
}

/** Asserts the session stays where it is and nothing connects to the simulator for a while. */
async function expectNoReconnect(world: World, sessionId: string, expected: string[], from: number): Promise<void> {
  await sleep(NO_RECONNECT_WINDOW_MS)
  expect(statusesSince(world, sessionId, from)).toEqual(expected)
  expect(world.sim.connectionCount()).toBe(0)
}

/**
 * Injects a fault into the session's connection and waits for the status it must lead to.
 * `since()` lists the statuses (with codes) from the fault on.
 */
async function injectFault(world: World, session: Session, fault: SimulatorFault, leadsTo: SessionStatus) {
  const before = world.statuses(session.id).length
  const reached = nextStatus(session, leadsTo)
  await world.sim.fault(PHONE, fault)
  const event = await reached
  return { event, before, since: () => world.statuses(session.id).slice(before) }
}

export function managerScenarios(backend: Backend): void {
  describe.concurrent(`SessionManager over the real Baileys socket, ${backend.name} storage`, () => {
    // First: the longest scenario (over 5 s of silence), so it overlaps the others (at most 5 run at once).
    it('unanswered keep-alive: 408 after keepAliveIntervalMs + 5 s, then reconnects', async ({ onTestFinished }) => {
      // Baileys ends a socket that received nothing for keepAliveIntervalMs + 5 s: a small interval keeps that near 5 s.
      const world = await openWorld(backend, 'keepalive', onTestFinished, { baileys: { keepAliveIntervalMs: 250 } })
      const session = await pairedSession(world)
      const { since } = await injectFault(world, session, 'stop-pong', 'connected')
      expect(since()).toEqual([
        { status: 'reconnecting', code: 408 },
        { status: 'connected', code: undefined },
      ])
      expect(session.lastDisconnect).toMatchObject({ code: 408, reason: 'connection_lost' })
      expect(world.sim.devices()).toEqual([expect.objectContaining({ connected: true })])
    })

    it('pairs by QR and stores the credentials; a new manager on the same database logs in without a QR; texts go both ways', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'restart', onTestFinished)
      const session = await world.manager.create({ name: 'bot' })
      await session.connect()
      await session.waitFor('qr', 10_000)
      expect(session.qr!.value).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/)
      expect(session.qr!.dataUrl).toMatch(/^data:image\/png;base64,/)
      const device = await world.sim.scanQr(session.qr!.value, { phone: PHONE, pushName: 'Bot' })
      await session.waitFor('connected', 10_000)
      expect(world.statuses(session.id)).toEqual([
        { status: 'starting', code: undefined },
        { status: 'qr', code: undefined },
        { status: 'starting', code: 515 },
        { status: 'connected', code: undefined },
      ])
      expect(session.phoneNumber).toBe(PHONE)

      // Read back from the adapter, not from the session: what a restarted process will find.
      const creds = await storedCreds(world.storage, session.id)
      expect(creds?.me?.id).toBe(device.jid)
      expect(creds?.account?.accountSignatureKey).toBeTruthy()
      // The first login uploaded Baileys' pre-keys; they are stored next to the credentials.
      await eventually(async () => expect(await storedKeyCount(world.storage, session.id)).toBeGreaterThanOrEqual(800))
      expect(await world.storage.sessions.get(session.id)).toMatchObject({ desiredState: 'running', phoneNumber: PHONE, jid: `${PHONE}@s.whatsapp.net` })

      // Process restart: the manager stops, a new one opens the same database and restores.
      await world.startManager()
      const restored = world.manager.get(session.id)!
      await restored.waitFor('connected', 10_000)
      expect(world.statuses(session.id).map(({ status }) => status)).toEqual(['starting', 'connected'])
      expect(world.events.some((event) => event.event === 'session.qr')).toBe(false)
      expect(world.sim.devices()).toEqual([expect.objectContaining({ jid: device.jid, connected: true })])

      // Signal sessions now run on keys the new adapter reads back from the database.
      const contact = world.sim.contact(CONTACT, { pushName: 'Maria' })
      const upserts: BaileysEventMap['messages.upsert'][] = []
      restored.on('messages.upsert', (upsert) => upserts.push(upsert))
      await contact.sendText(PHONE, 'hi bot')
      const upsert = await until(() => upserts.find((candidate) => textOf(candidate).includes('hi bot')))
      expect(upsert.type).toBe('notify')
      expect(upsert.messages[0]!.key).toMatchObject({ fromMe: false, remoteJid: contact.jid })

      const sent = await restored.sendText(contact.phone, 'hi human')
      const read = await contact.waitForMessage('hi human')
      expect(read).toMatchObject({ id: sent.key.id, from: device.jid })
      expect(restored.stats).toMatchObject({ messagesReceived: 1, messagesSent: 1 })

      // The stats are flushed on stop and come back with the record.
      await world.stopManager()
      const reopened = await world.startManager()
      await reopened.get(session.id)!.waitFor('connected', 10_000)
      expect((await world.storage.sessions.get(session.id))?.stats).toMatchObject({ messagesReceived: 1, messagesSent: 1 })
    })

    it('515 restart required: reconnects at once (no backoff), credentials kept', async ({ onTestFinished }) => {
      // A backoff would wait a random delay of up to a minute first: the test would time out.
      const world = await openWorld(backend, 'restart_required', onTestFinished, { reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000, maxAttempts: 3 } })
      const session = await pairedSession(world)
      const credsBefore = await storedCreds(world.storage, session.id)
      const { since } = await injectFault(world, session, 'restart-required', 'connected')
      expect(since()).toEqual([
        { status: 'starting', code: 515 },
        { status: 'connected', code: undefined },
      ])
      expect(session.lastDisconnect).toMatchObject({ code: 515, reason: 'restart_required' })
      expect((await storedCreds(world.storage, session.id))?.me?.id).toBe(credsBefore?.me?.id)
      expect(world.sim.devices()).toEqual([expect.objectContaining({ connected: true })])
    })

    it('401 device removed: logged_out, credentials and keys wiped, no reconnect', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'logged_out', onTestFinished)
      const session = await pairedSession(world)
      const { event, before } = await injectFault(world, session, 'logged-out', 'logged_out')
      expect(event).toMatchObject({ code: 401 })
      expect(await world.storage.auth.readCreds(session.id)).toBeNull()
      expect(await storedKeyCount(world.storage, session.id)).toBe(0)
      await expectStoredRecord(world, session.id, { status: 'logged_out', desiredState: 'stopped', phoneNumber: null, jid: null })
      expect(errorsOf(world, session.id)).toContain('LOGGED_OUT')
      expect(session.isPaired).toBe(false)
      await expectNoReconnect(world, session.id, ['logged_out'], before)
    })

    it('440 connection replaced: stops, keeps the credentials, never fights the other client', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'replaced', onTestFinished)
      const session = await pairedSession(world)
      const { event, before } = await injectFault(world, session, 'conflict', 'stopped')
      expect(event).toMatchObject({ code: 440 })
      expect(errorsOf(world, session.id)).toContain('CONNECTION_REPLACED')
      expect((await storedCreds(world.storage, session.id))?.me?.id).toBe(world.sim.devices()[0]!.jid)
      await expectStoredRecord(world, session.id, { status: 'stopped', desiredState: 'stopped' })
      await expectNoReconnect(world, session.id, ['stopped'], before)
    })

    it('dropped connection: reconnecting, then connected again with the stored credentials', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'drop', onTestFinished)
      const session = await pairedSession(world)
      const { since } = await injectFault(world, session, 'drop', 'connected')
      expect(since()).toEqual([
        { status: 'reconnecting', code: 428 },
        { status: 'connected', code: undefined },
      ])
      expect(world.events.filter((event) => event.event === 'session.qr')).toHaveLength(1) // the pairing's only
      expect(world.sim.devices()).toEqual([expect.objectContaining({ connected: true })])
      expect(world.sim.connectionCount()).toBe(1)
    })

    it('logout unlinks the device and wipes credentials and keys', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'logout', onTestFinished)
      const session = await pairedSession(world)
      expect(await storedCreds(world.storage, session.id)).not.toBeNull()
      await session.logout()
      expect(session.status).toBe('logged_out')
      expect(await world.storage.auth.readCreds(session.id)).toBeNull()
      expect(await storedKeyCount(world.storage, session.id)).toBe(0)
      await expectStoredRecord(world, session.id, { status: 'logged_out', desiredState: 'stopped', phoneNumber: null })
      // The logout reached WhatsApp: the device is unlinked there too.
      await until(() => world.sim.devices().length === 0)
      // The socket is closed on our side; the server sees the close a moment later.
      await until(() => world.sim.connectionCount() === 0)
    })

    it('pairs with a code: requestPairingCode, the phone types it, connected with stored credentials', async ({ onTestFinished }) => {
      const world = await openWorld(backend, 'pairing_code', onTestFinished)
      const session = await world.manager.create({ name: 'bot' })
      const code = await session.requestPairingCode(`+${PHONE}`)
      expect(code).toMatch(/^[1-9A-HJ-NP-Z]{8}$/)
      expect(session.status).toBe('pairing')
      const announced = world.events.find((event) => event.event === 'session.pairing_code')
      expect(announced?.data as SessionPairingCodeEvent).toEqual({ code, phoneNumber: PHONE })

      const device = await world.sim.enterPairingCode(code, { phone: PHONE })
      await session.waitFor('connected', 10_000)
      expect(session.phoneNumber).toBe(PHONE)
      const creds = await storedCreds(world.storage, session.id)
      expect(creds?.me?.id).toBe(device.jid)
      expect(creds?.registered).toBe(true)
      expect(world.sim.devices()).toEqual([expect.objectContaining({ jid: device.jid, connected: true })])
    })
  })
}
