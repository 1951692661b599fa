import { setTimeout as sleep } from 'node:timers/promises'
import type { BaileysEventMap, UserFacingSocketConfig } from '@whiskeysockets/baileys'
import pRetry from 'p-retry'
import type { AuthStore } from '../auth/auth-store.js'
import { ConnectionError, ValidationError, WafleetError } from '../errors.js'
import type { SessionStatusEvent } from '../events.js'
import type { Logger } from '../logger.js'
import type { SessionStatus } from '../storage/types.js'
import type { WASocketLike } from '../socket/types.js'
import { createSerialQueue } from '../util/serial.js'
import { classifyDisconnect, DisconnectError, type DisconnectOutcome } from './disconnect.js'
import type { SessionOptions } from './runtime.js'

/** A socket of a session and what became of it. */
export interface LiveSocket {
  readonly socket: WASocketLike
  /** Settles with the close of the socket. */
  readonly closed: Promise<DisconnectOutcome>
  close(outcome: DisconnectOutcome): void
  /** QRs shown by this socket so far. */
  qrAttempt: number
}

/** What the connection loop needs from its session. */
export interface ConnectionHost {
  readonly logger: Logger
  readonly options: SessionOptions
  /** The Baileys config for the next socket (plugins applied). */
  socketConfig(auth: AuthStore): Promise<UserFacingSocketConfig>
  createSocket(config: UserFacingSocketConfig): WASocketLike | Promise<WASocketLike>
  /** Handles one batch of a socket's events, in order. */
  handleEvents(live: LiveSocket, batch: Partial<BaileysEventMap>): Promise<void>
  setStatus(status: SessionStatus, extra: Omit<SessionStatusEvent, 'status' | 'previous'>): Promise<void>
  reportError(error: WafleetError): Promise<void>
  /** The loop ended on its own: a terminal close, the circuit breaker, or an unexpected failure. */
  ended(error: unknown): Promise<void>
}

interface Loop {
  abort: AbortController
  done: Promise<void>
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * Drives Baileys sockets for one session: builds one, waits until it opens, watches it close,
 * and decides with the disconnect classification whether and when to build the next one.
 * There is never more than one live socket, and a new one is built only after the last closed.
 */
export class Connection {
  private live: LiveSocket | null = null
  private loop: Loop | null = null
  private versionRefreshed = false
  /** Config of the latest socket; media downloads reuse its fetch options (proxy dispatcher). */
  lastConfig: UserFacingSocketConfig | null = null

  constructor(private readonly host: ConnectionHost) {}

  get running(): boolean {
    return this.loop !== null
  }

  /** The live socket, if any. */
  get current(): LiveSocket | null {
    return this.live
  }

  start(auth: AuthStore): void {
    this.versionRefreshed = false
    const loop: Loop = { abort: new AbortController(), done: Promise.resolve() }
    this.loop = loop
    loop.done = this.run(auth, loop)
      .catch((error: unknown) => {
        this.host.logger.error({ err: error }, 'connection loop crashed')
        return this.finish(loop, error)
      })
      .finally(() => {
        if (this.loop === loop) this.loop = null
      })
  }

  /** Ends the socket on purpose (after `beforeEnd`, e.g. a logout request) and waits until the loop is over. */
  async stop(beforeEnd?: (live: LiveSocket) => Promise<void>): Promise<void> {
    const loop = this.loop
    if (!loop) return
    loop.abort.abort()
    const live = this.live
    if (live) {
      await beforeEnd?.(live)
      await this.end(live, undefined)
    }
    await loop.done
  }

  /** A successful open resets the one-time version refresh. */
  opened(): void {
    this.versionRefreshed = false
  }

  private async end(live: LiveSocket, error: Error | undefined): Promise<void> {
    try {
      await live.socket.end(error)
    } catch (endError) {
      this.host.logger.warn({ err: endError }, 'ending the socket failed')
    }
    // Baileys emits the close itself; this settles it if the socket was already dead.
    live.close(classifyDisconnect(error))
  }

  private async finish(loop: Loop, error: unknown): Promise<void> {
    // The loop is over before anyone hears of the outcome, so a `connect()` reacting to it starts a new one.
    if (this.loop === loop) this.loop = null
    await this.host.ended(error)
  }

  private async run(auth: AuthStore, loop: Loop): Promise<void> {
    const { reconnect } = this.host.options
    const { signal } = loop.abort
    for (;;) {
      let live: LiveSocket
      try {
        live = await pRetry(() => this.connectOnce(auth, signal), {
          retries: Math.max(0, reconnect.maxAttempts - 1),
          factor: reconnect.factor,
          minTimeout: reconnect.minDelayMs,
          maxTimeout: reconnect.maxDelayMs,
          randomize: reconnect.jitter,
          signal,
          shouldRetry: ({ error }) => error instanceof DisconnectError && error.retryable,
          // 515 (and a refreshed version) reconnect at once and do not count towards the circuit breaker.
          shouldConsumeRetry: ({ error }) => !(error instanceof DisconnectError && error.outcome.action === 'restart'),
          onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
            if (signal.aborted || !(error instanceof DisconnectError) || !error.retryable || retriesLeft <= 0) return
            const restart = error.outcome.action === 'restart'
            await this.host.setStatus(restart ? 'starting' : 'reconnecting', {
              reason: error.outcome.reason,
              code: error.outcome.code,
              ...(restart ? {} : { attempt: attemptNumber }),
            })
          },
        })
      } catch (error) {
        if (signal.aborted) return
        await this.finish(loop, error)
        return
      }
      const outcome = await live.closed
      if (signal.aborted) return
      if (outcome.action === 'restart') {
        await this.host.setStatus('starting', { reason: outcome.reason, code: outcome.code })
        continue
      }
      if (outcome.action !== 'backoff') {
        await this.finish(loop, new DisconnectError(outcome))
        return
      }
      await this.host.setStatus('reconnecting', { reason: outcome.reason, code: outcome.code, attempt: 1 })
      // Spread reconnects after a shared outage so a thousand sessions do not hit WhatsApp at once.
      const jitter = reconnect.jitter ? Math.round(Math.random() * reconnect.minDelayMs) : 0
      if (jitter > 0) await sleep(jitter, undefined, { signal }).catch(() => undefined)
      if (signal.aborted) return
    }
  }

  /** One socket, from creation until it is open (resolves) or closes (rejects with the classification). */
  private async connectOnce(auth: AuthStore, signal: AbortSignal): Promise<LiveSocket> {
    if (signal.aborted) throw new DisconnectError(classifyDisconnect(undefined))
    const { live, open } = await this.openSocket(auth)
    const outcome = await Promise.race([live.closed, open])
    if (outcome === 'open') return live
    if (outcome.action === 'outdated' && !this.versionRefreshed) {
      this.versionRefreshed = true
      await this.refreshVersion()
      throw new DisconnectError({ ...outcome, action: 'restart' })
    }
    throw new DisconnectError(outcome)
  }

  private async refreshVersion(): Promise<void> {
    try {
      const version = await this.host.options.versionProvider()
      if (version) this.host.options.baileys = { ...this.host.options.baileys, version }
    } catch (error) {
      this.host.logger.warn({ err: error }, 'refreshing the WhatsApp Web version failed')
    }
  }

  private async openSocket(auth: AuthStore): Promise<{ live: LiveSocket; open: Promise<'open'> }> {
    let socket: WASocketLike
    try {
      const config = await this.host.socketConfig(auth)
      this.lastConfig = config
      const created = this.host.createSocket(config)
      // Baileys emits its first events on the next tick: listeners must be attached before any await.
      socket = created instanceof Promise ? await created : created
    } catch (error) {
      // A plugin or factory failure (an unreachable proxy, say) is a failed attempt: back off and retry.
      const message = `Could not create the socket: ${errorMessage(error)}`
      await this.host.reportError(error instanceof WafleetError ? error : new ConnectionError('CONNECTION_FAILED', message, { cause: error }))
      if (error instanceof ValidationError) throw error
      throw new DisconnectError({ action: 'backoff', code: null, reason: 'socket_error', message })
    }
    let settle!: (outcome: DisconnectOutcome) => void
    let markOpen!: (value: 'open') => void
    const closed = new Promise<DisconnectOutcome>((resolve) => (settle = resolve))
    const open = new Promise<'open'>((resolve) => (markOpen = resolve))
    let settled = false
    const live: LiveSocket = {
      socket,
      closed,
      qrAttempt: 0,
      close: (outcome) => {
        if (settled) return
        settled = true
        if (this.live === live) this.live = null
        settle(outcome)
      },
    }
    this.live = live
    // Events of one socket are handled strictly in order; a failing handler is reported, never thrown into Baileys.
    const events = createSerialQueue()
    socket.ev.process((batch) => {
      void events
        .run(async () => {
          await this.host.handleEvents(live, batch)
          if (batch['connection.update']?.connection === 'open' && this.live === live) markOpen('open')
        })
        .catch((error: unknown) => this.host.logger.error({ err: error }, 'handling socket events failed'))
    })
    return { live, open }
  }
}
