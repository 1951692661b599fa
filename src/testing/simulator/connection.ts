// One client connection: WebSocket in, frames, the Noise handshake, then binary nodes both ways.
// What the nodes mean is decided elsewhere (login, IQ answers, messaging); this module only moves
// them, matches IQ answers to requests and knows how to end a stream the way WhatsApp does.
import { binaryNodeToString, decodeBinaryNode, encodeBinaryNode, type BinaryNode } from '@whiskeysockets/baileys'
import type { WebSocket } from 'ws'
import { ConnectionError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { encodeFrame, FrameReader } from './framing.js'
import { NoiseResponder, type ClientFinish, type NoiseTransport } from './noise.js'
import { stanzaId } from './nodes.js'
import type { DeviceRecord } from './registry.js'

/** How long a client gets to close the socket itself after a stream error before it is cut. */
const STREAM_END_GRACE_MS = 2_000
const REQUEST_TIMEOUT_MS = 20_000

export interface ConnectionHandlers {
  /** The handshake finished: decide between registration and login. */
  onHandshake(connection: SimConnection, finish: ClientFinish): Promise<void> | void
  /** A node that is not the answer to one of our own requests. */
  onNode(connection: SimConnection, node: BinaryNode): Promise<void> | void
  onClose(connection: SimConnection): void
}

export interface SimConnectionOptions {
  id: number
  staticKeyPair: ConstructorParameters<typeof NoiseResponder>[0]['staticKeyPair']
  certificateChain: Uint8Array
  logger: Logger
  handlers: ConnectionHandlers
}

export class SimConnection {
  readonly id: number
  readonly logger: Logger
  /** The linked device this connection logged in as; unset while registering. */
  device: DeviceRecord | undefined
  /** Set by the `stop-pong` fault: the server sends nothing more, keep-alive answers included. */
  private silenced = false
  private readonly reader = new FrameReader()
  private readonly noise: NoiseResponder
  private transport: NoiseTransport | undefined
  private helloAnswered = false
  private closed = false
  private inbound: Promise<void> = Promise.resolve()
  private readonly pending = new Map<string, { resolve: (node: BinaryNode) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  private readonly closeWaiters: (() => void)[] = []

  constructor(
    private readonly ws: WebSocket,
    private readonly options: SimConnectionOptions,
  ) {
    this.id = options.id
    this.logger = options.logger
    this.noise = new NoiseResponder({ staticKeyPair: options.staticKeyPair, certificateChain: options.certificateChain })
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      // Frames are handled strictly in order, even though decoding a node is asynchronous.
      this.inbound = this.inbound.then(() => this.receive(chunk))
    })
    ws.on('close', () => this.markClosed())
    ws.on('error', (error) => this.logger.debug({ err: error }, 'client socket error'))
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN
  }

  /** Whether the client is past the handshake and nodes sent to it reach it. */
  get isReady(): boolean {
    return this.isOpen && this.transport !== undefined && !this.silenced
  }

  /** From now on the connection stays open but the server sends it nothing (a dead network path). */
  silence(): void {
    this.silenced = true
  }

  send(node: BinaryNode): void {
    if (!this.transport) {
      throw new ConnectionError('CONNECTION_FAILED', `Connection ${this.id} has no transport yet (handshake not finished)`, { details: { tag: node.tag } })
    }
    // Like any server, what is sent on a socket that just closed (or a silenced one) is lost.
    if (!this.isOpen || this.silenced) {
      this.logger.trace({ connection: this.id, tag: node.tag }, 'sim send dropped (connection closed or silenced)')
      return
    }
    if (this.logger.level === 'trace') this.logger.trace({ connection: this.id, xml: binaryNodeToString(node) }, 'sim send')
    this.ws.send(encodeFrame(this.transport.encrypt(encodeBinaryNode(node))))
  }

  /** Sends an IQ (or any node with an id) and resolves with the client's answer. */
  request(node: BinaryNode, timeoutMs = REQUEST_TIMEOUT_MS): Promise<BinaryNode> {
    const id = (node.attrs.id ??= stanzaId())
    if (!this.isOpen) return Promise.reject(new ConnectionError('CONNECTION_FAILED', `Connection ${this.id} is closed`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new ConnectionError('CONNECTION_FAILED', `The client did not answer ${node.tag} ${id} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      try {
        this.send(node)
      } catch (error) {
        clearTimeout(timer)
        this.pending.delete(id)
        reject(error as Error)
      }
    })
  }

  /**
   * Ends the stream as WhatsApp does: the node (`stream:error`, `failure`) goes out, the client
   * closes on reading it, and the server cuts the socket only if the client does not. Closing at
   * once would race the client's asynchronous decoding, and it would see a bare close (428).
   */
  async endStream(node: BinaryNode): Promise<void> {
    if (!this.isOpen) return
    this.send(node)
    const closedByClient = new Promise<void>((resolve) => this.closeWaiters.push(resolve))
    const timer = setTimeout(() => this.drop(), STREAM_END_GRACE_MS)
    await closedByClient
    clearTimeout(timer)
  }

  /** Cuts the TCP connection without a closing handshake (what a network failure looks like). */
  drop(): void {
    this.ws.terminate()
    this.markClosed()
  }

  /** Waits until the socket is closed, by either side. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => this.closeWaiters.push(resolve))
  }

  /** Everything the client sent is handled, even when the socket closed right after (a logout). */
  private async receive(chunk: Buffer): Promise<void> {
    try {
      for (const frame of this.reader.push(chunk)) await this.receiveFrame(frame)
    } catch (error) {
      // A client that breaks the protocol, or a stanza the simulator cannot handle: never left hanging.
      this.logger.warn({ err: error, connection: this.id }, 'simulator: dropping the connection after a failure handling its input')
      this.drop()
    }
  }

  private async receiveFrame(frame: Buffer): Promise<void> {
    if (this.transport) {
      const node = await decodeBinaryNode(this.transport.decrypt(frame))
      if (this.logger.level === 'trace') this.logger.trace({ connection: this.id, xml: binaryNodeToString(node) }, 'sim recv')
      const waiter = node.attrs.id ? this.pending.get(node.attrs.id) : undefined
      if (waiter && (node.tag === 'iq' || node.tag === 'ack')) {
        clearTimeout(waiter.timer)
        this.pending.delete(node.attrs.id!)
        waiter.resolve(node)
        return
      }
      await this.options.handlers.onNode(this, node)
      return
    }
    if (!this.helloAnswered) {
      this.helloAnswered = true
      this.ws.send(encodeFrame(this.noise.respondToHello(frame)))
      return
    }
    const finish = this.noise.acceptFinish(frame)
    this.transport = finish.transport
    await this.options.handlers.onHandshake(this, finish)
  }

  private markClosed(): void {
    if (this.closed) return
    this.closed = true
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer)
      reject(new ConnectionError('CONNECTION_FAILED', `Connection ${this.id} closed before the client answered`))
    }
    this.pending.clear()
    for (const resolve of this.closeWaiters.splice(0)) resolve()
    this.options.handlers.onClose(this)
  }
}
