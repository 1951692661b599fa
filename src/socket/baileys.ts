import { makeWASocket } from '@whiskeysockets/baileys'
import type { Logger } from '../logger.js'
import { withSharedAsyncContext } from './shared-async-context.js'
import type { SocketFactory } from './types.js'

/** Lines libsignal prints with `console` (some with session key material attached). */
const LIBSIGNAL_LINES = [
  'Closing session',
  'Closing open session',
  'Closing stale open session',
  'Opening session',
  'Removing old closed session',
  'Session already closed',
  'Session already open',
  'Migrating session to',
  'Failed to decrypt message with any known session',
  'Session error',
  'Decrypted message with closed session',
  'WARNING: Expected pubkey of length 33',
  'Unhandled bucket type',
  'V1 session storage migration error',
]

let consoleRouted = false

/**
 * libsignal writes straight to `console`, sometimes with a whole SessionEntry (private keys
 * included). Route those lines, without their arguments, to the logger at debug level; every other
 * console call is untouched. Process-wide and installed once.
 */
export function routeLibsignalConsole(logger: Logger): void {
  if (consoleRouted) return
  consoleRouted = true
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[method].bind(console)
    console[method] = (...args: unknown[]) => {
      const first = args[0]
      if (typeof first === 'string' && LIBSIGNAL_LINES.some((line) => first.startsWith(line))) {
        logger.debug({ module: 'libsignal' }, first.split(':')[0]!.trim())
        return
      }
      original(...args)
    }
  }
}

/**
 * The default socket factory: Baileys' own `makeWASocket`, with its per-socket AsyncLocalStorage
 * folded into one shared instance (see shared-async-context.ts for why).
 */
export const baileysSocketFactory: SocketFactory = ({ config }) => withSharedAsyncContext(() => makeWASocket(config))
