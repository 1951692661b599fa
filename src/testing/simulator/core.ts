// The shared state every protocol handler of the simulator works on.
import type { Logger } from '../../logger.js'
import type { SimConnection } from './connection.js'
import type { MediaServer } from './media-server.js'
import type { Registration } from './pairing.js'
import type { Registry } from './registry.js'

export interface SimCore {
  readonly registry: Registry
  readonly logger: Logger
  /** The HTTPS media host (uploads, downloads, `media_conn`). */
  readonly media: MediaServer
  /** How many QR refs a registering client gets (WhatsApp sends 6). */
  readonly qrRefs: number
  /** Connections of clients that are not paired yet, waiting for a QR scan or a pairing code. */
  readonly registrations: Map<SimConnection, Registration>
  /** Tells `waitFor` callers that something changed (a registration, a login, a close). */
  changed(): void
  /** Resolves with the first truthy value of `probe`, re-checked on every change. */
  waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T>
}
