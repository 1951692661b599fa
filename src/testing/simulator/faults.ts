// Faults on demand, each the way WhatsApp produces it and with the code Baileys derives from it
// (Utils/generics.js getErrorCodeFromStreamError, Socket/socket.js):
// - restart-required: <stream:error code="515"/>                       -> 515
// - logged-out:       <stream:error code="401"><conflict type="device_removed"/></stream:error>,
//                     and the device is unlinked, so its creds are refused from then on -> 401
// - conflict:         <stream:error><conflict type="replaced"/></stream:error> -> 440 (CODE_MAP)
// - drop:             the TCP connection is cut without a close frame -> 428 'Connection Terminated'
// - stop-pong:        the server goes silent (no pongs, nothing else); Baileys gives up after
//                     keepAliveIntervalMs + 5 s -> 408 'Connection was lost'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { SimCore } from './core.js'
import type { DeviceRecord } from './registry.js'

export const SIMULATOR_FAULTS = ['restart-required', 'logged-out', 'conflict', 'drop', 'stop-pong'] as const
export type SimulatorFault = (typeof SIMULATOR_FAULTS)[number]

export function streamEnd(kind: 'restart-required' | 'logged-out' | 'conflict'): BinaryNode {
  switch (kind) {
    case 'restart-required':
      return { tag: 'stream:error', attrs: { code: '515' } }
    case 'logged-out':
      return { tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] }
    case 'conflict':
      return { tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] }
  }
}

/** Applies a fault to the device's live connection; resolves once the connection is gone (or silent). */
export async function applyFault(core: SimCore, device: DeviceRecord, fault: SimulatorFault): Promise<void> {
  const connection = device.connection
  if (!connection) return
  core.logger.debug({ jid: device.jid, fault, connection: connection.id }, 'simulator: fault')
  switch (fault) {
    case 'restart-required':
    case 'conflict':
      await connection.endStream(streamEnd(fault))
      return
    case 'logged-out':
      core.registry.removeDevice(device)
      await connection.endStream(streamEnd(fault))
      return
    case 'drop':
      connection.drop()
      return
    case 'stop-pong':
      connection.silence()
      return
  }
}
