// startWhatsAppSimulator(): a loopback WhatsApp for end-to-end tests of the real Baileys socket.
import { Curve, jidDecode, type BinaryNode } from '@whiskeysockets/baileys'
import { WebSocketServer } from 'ws'
import { ConnectionError, SessionError, ValidationError, WafleetError } from '../../errors.js'
import { createDefaultLogger, type Logger } from '../../logger.js'
import { routeLibsignalConsole } from '../../socket/baileys.js'
import { SimConnection } from './connection.js'
import { Contact, type SimContact } from './contact.js'
import type { SimCore } from './core.js'
import { applyFault, SIMULATOR_FAULTS, type SimulatorFault } from './faults.js'
import { handleIq } from './iq.js'
import { onHandshake } from './login.js'
import { MediaServer } from './media-server.js'
import { handleDeviceMessage, handleDeviceReceipt } from './messaging.js'
import { enterPairingCode, scanQr, type PairOptions, type Registration } from './pairing.js'
import { normalizePhone, Registry, type DeviceRecord } from './registry.js'
import { restoreRegistry, snapshotRegistry, type SimulatorSnapshot } from './snapshot.js'
import { installSimulatorTrust, issueCertificateChain, simulatorRootPublicKey } from './trust.js'
import { ChangeWaiters } from './waiters.js'

export interface WhatsAppSimulatorOptions {
  /** TCP port to listen on. @default 0 (any free port) */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** pino-compatible logger; protocol traffic is logged at trace, events at debug. @default wafleet's default logger */
  logger?: Logger
  /** QR refs a registering client gets before Baileys gives up with 408. @default 6 (as WhatsApp) */
  qrRefs?: number
  /**
   * A network saved with `sim.snapshot()` (numbers, linked devices, Signal and app state): devices
   * linked before log in again, as after a WhatsApp server restart. @default a new, empty network
   */
  restore?: SimulatorSnapshot
}

/** A linked device as the simulator sees it. */
export interface SimulatedDevice {
  /** `<phone>:<device>@s.whatsapp.net`, Baileys' `creds.me.id`. */
  jid: string
  /** `<lid>:<device>@lid`, Baileys' `creds.me.lid`. */
  lid: string
  phone: string
  deviceId: number
  keyIndex: number
  /** What the companion reported at registration (OS / platform type). */
  platform: string
  pairedAt: Date
  connected: boolean
  /** One-time pre-keys uploaded and not handed out yet. */
  preKeys: number
  /** Stanzas waiting for the device's next login. */
  offlineQueue: number
}

export type { PairOptions, SimulatorFault, SimulatorSnapshot }

class SimulatorState implements SimCore {
  readonly registrations = new Map<SimConnection, Registration>()
  readonly connections = new Set<SimConnection>()
  private readonly waiters = new ChangeWaiters()

  constructor(
    readonly registry: Registry,
    readonly logger: Logger,
    readonly qrRefs: number,
    readonly media: MediaServer,
  ) {}

  changed(): void {
    this.waiters.changed()
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return this.waiters.waitFor(probe, timeoutMs, what)
  }

  async onNode(connection: SimConnection, node: BinaryNode): Promise<void> {
    switch (node.tag) {
      case 'iq':
        return handleIq(this, connection, node)
      case 'message':
        return handleDeviceMessage(this, connection, node)
      case 'receipt':
        return handleDeviceReceipt(this, connection, node)
      default:
        // ack, presence, chatstate, ib (unified_session, offline_batch), call: nothing to answer.
        this.logger.trace({ tag: node.tag, connection: connection.id }, 'simulator: stanza needs no answer')
    }
  }

  onClose(connection: SimConnection): void {
    this.connections.delete(connection)
    this.registrations.delete(connection)
    if (connection.device?.connection === connection) connection.device.connection = undefined
    this.changed()
  }
}

function summarize(device: DeviceRecord): SimulatedDevice {
  return {
    jid: device.jid,
    lid: device.lid,
    phone: device.account.phone,
    deviceId: device.deviceId,
    keyIndex: device.keyIndex,
    platform: device.platform,
    pairedAt: device.pairedAt,
    connected: device.connection?.isOpen ?? false,
    preKeys: device.preKeys.size,
    offlineQueue: device.offline.length,
  }
}

/** A running simulator, from `startWhatsAppSimulator()`. */
export interface WhatsAppSimulator {
  /** `ws://host:port/ws/chat`: pass it to Baileys as `waWebSocketUrl`. */
  readonly url: string
  readonly port: number
  /** The public root key the simulator's certificates chain to. */
  readonly rootPublicKey: Buffer
  /**
   * PEM of the self-signed HTTPS certificate of the media host (issued at start-up, key in memory
   * only). Clients that upload or download media trust it as a CA: Baileys' `fetchAgent:
   * new https.Agent({ ca })` for uploads, `options: { dispatcher: new undici.Agent({ connect: { ca } }) }` for downloads.
   */
  readonly certificate: string
  /** `https://host:port` of the media host (what `media_conn` hands out). */
  readonly mediaUrl: string
  /**
   * Makes Baileys in this process trust the simulator's certificates (test only; logs a warning).
   * Returns the undo function; `close()` undoes it too.
   */
  trust(): () => void
  /** The phone scans a QR from `connection.update`; resolves with the linked device once it countersigned and the 515 closed it. */
  scanQr(qr: string, options: PairOptions): Promise<SimulatedDevice>
  /** The phone types the pairing code returned by `sock.requestPairingCode(phone)`. */
  enterPairingCode(code: string, options: PairOptions): Promise<SimulatedDevice>
  /** A WhatsApp user on the simulated network (created on first use, then the same object). */
  contact(phone: string, options?: { pushName?: string }): SimContact
  /**
   * Breaks the live connection(s) of a device (`<phone>:<n>@s.whatsapp.net`) or of every device of
   * a number, the way WhatsApp would; resolves once the connection is closed (or, for
   * `stop-pong`, silent).
   */
  fault(target: string, fault: SimulatorFault): Promise<void>
  /** Linked devices, all numbers. */
  devices(): SimulatedDevice[]
  /** Open client connections (paired or registering). */
  connectionCount(): number
  /**
   * The network as JSON-safe data (JSON.stringify it), for `startWhatsAppSimulator({ restore })`.
   * It holds the simulated phones' private keys. Not kept: connections, pairings in progress,
   * inboxes and uploaded media.
   */
  snapshot(): Promise<SimulatorSnapshot>
  /** Stops listening, cuts every connection and undoes `trust()`. */
  close(): Promise<void>
}

class Simulator implements WhatsAppSimulator {
  readonly url: string
  readonly port: number
  private readonly contacts = new Map<string, SimContact>()
  private readonly trustUndos: (() => void)[] = []
  private closed = false

  constructor(
    private readonly state: SimulatorState,
    private readonly server: WebSocketServer,
    host: string,
    port: number,
  ) {
    this.port = port
    this.url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}/ws/chat`
  }

  get rootPublicKey(): Buffer {
    return simulatorRootPublicKey()
  }

  get certificate(): string {
    return this.state.media.certificate
  }

  get mediaUrl(): string {
    return this.state.media.origin
  }

  trust(): () => void {
    const undo = installSimulatorTrust(this.rootPublicKey, { logger: this.state.logger })
    this.trustUndos.push(undo)
    return undo
  }

  async scanQr(qr: string, options: PairOptions): Promise<SimulatedDevice> {
    this.assertOpen()
    return summarize(await scanQr(this.state, qr, options))
  }

  async enterPairingCode(code: string, options: PairOptions): Promise<SimulatedDevice> {
    this.assertOpen()
    return summarize(await enterPairingCode(this.state, code, options))
  }

  contact(phone: string, options: { pushName?: string } = {}): SimContact {
    this.assertOpen()
    const digits = normalizePhone(phone)
    const account = this.state.registry.ensureAccount(digits, options.pushName)
    let contact = this.contacts.get(digits)
    if (!contact) this.contacts.set(digits, (contact = new Contact(this.state, account)))
    return contact
  }

  async fault(target: string, fault: SimulatorFault): Promise<void> {
    this.assertOpen()
    if (!SIMULATOR_FAULTS.includes(fault)) {
      throw new ValidationError('VALIDATION_ERROR', `Unknown fault '${String(fault)}'`, { details: { allowed: [...SIMULATOR_FAULTS] } })
    }
    const devices = this.targets(target).filter((device) => device.connection?.isOpen)
    if (!devices.length) throw new SessionError('SESSION_NOT_CONNECTED', `No connected device for ${target}`, { details: { target } })
    await Promise.all(devices.map((device) => applyFault(this.state, device, fault)))
  }

  devices(): SimulatedDevice[] {
    return this.state.registry.allDevices().map(summarize)
  }

  connectionCount(): number {
    return this.state.connections.size
  }

  snapshot(): Promise<SimulatorSnapshot> {
    return snapshotRegistry(this.state.registry)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const connection of this.state.connections) connection.drop()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    await this.state.media.close()
    for (const undo of this.trustUndos.splice(0)) undo()
  }

  private targets(target: string): DeviceRecord[] {
    if (target.includes('@') && jidDecode(target)?.device) {
      const device = this.state.registry.endpoint(target)?.device
      return device ? [device] : []
    }
    const account = target.includes('@') ? this.state.registry.accountOf(target) : this.state.registry.account(normalizePhone(target))
    return account ? [...account.devices.values()] : []
  }

  private assertOpen(): void {
    if (this.closed) throw new WafleetError('OPERATION_ABORTED', 'The WhatsApp simulator is closed')
  }
}

/** Starts a loopback WhatsApp server that the unmodified Baileys socket can pair with and use. */
export async function startWhatsAppSimulator(options: WhatsAppSimulatorOptions = {}): Promise<WhatsAppSimulator> {
  const host = options.host ?? '127.0.0.1'
  const logger = options.logger ?? createDefaultLogger()
  const qrRefs = options.qrRefs ?? 6
  if (!Number.isInteger(qrRefs) || qrRefs < 1) throw new ValidationError('INVALID_CONFIG', 'qrRefs must be a positive integer', { details: { qrRefs } })
  // The simulated phones run libsignal, which prints session key material with console.log.
  routeLibsignalConsole(logger)
  const registry = new Registry(logger)
  if (options.restore) restoreRegistry(registry, options.restore)
  const staticKeyPair = Curve.generateKeyPair()
  const certificateChain = issueCertificateChain(staticKeyPair)
  // The media host first: once the WebSocket server listens, clients must find everything ready.
  const media = await MediaServer.start(host, logger)
  const server = new WebSocketServer({ host, port: options.port ?? 0 })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', (error) => reject(new ConnectionError('CONNECTION_FAILED', `The simulator could not listen on ${host}:${options.port ?? 0}`, { cause: error })))
    })
  } catch (error) {
    await media.close()
    throw error
  }
  const state = new SimulatorState(registry, logger, qrRefs, media)
  let nextId = 1
  server.on('connection', (ws) => {
    const connection = new SimConnection(ws, {
      id: nextId++,
      staticKeyPair,
      certificateChain,
      logger,
      handlers: {
        onHandshake: (conn, finish) => onHandshake(state, conn, finish.clientStatic, finish.payload),
        onNode: (conn, node) => state.onNode(conn, node),
        onClose: (conn) => state.onClose(conn),
      },
    })
    state.connections.add(connection)
  })
  const { port } = server.address() as { port: number }
  logger.debug({ host, port, media: media.origin, restored: registry.accounts().length }, 'simulator: listening')
  return new Simulator(state, server, host, port)
}
