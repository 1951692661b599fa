// After the handshake: a client without credentials registers (QR refs), a paired one logs in.
// A login is accepted only for a device the simulator paired, presenting the same Noise key; it
// takes over from an older connection of the same device (which gets 440, as on WhatsApp), then
// gets `success`, whatever waited in its offline queue, and the end-of-offline marker.
import type { proto } from '@whiskeysockets/baileys'
import type { SimConnection } from './connection.js'
import type { SimCore } from './core.js'
import { streamEnd } from './faults.js'
import { SERVER_JID, unixSeconds } from './nodes.js'
import { startRegistration } from './pairing.js'

export async function onHandshake(core: SimCore, connection: SimConnection, clientStatic: Buffer, payload: proto.ClientPayload): Promise<void> {
  // The client may have gone while its last frame was being read: nothing to register or log in.
  if (!connection.isOpen) return
  if (payload.devicePairingData) {
    startRegistration(core, connection, clientStatic, payload)
    return
  }
  const phone = payload.username === null || payload.username === undefined ? undefined : String(payload.username)
  const device = phone ? core.registry.account(phone)?.devices.get(payload.device ?? 0) : undefined
  if (!device || !device.noisePublic.equals(clientStatic)) {
    core.logger.debug({ phone, device: payload.device, connection: connection.id }, 'simulator: login refused (unknown device)')
    // What WhatsApp answers to the credentials of an unlinked device: Baileys ends with 401.
    await connection.endStream({ tag: 'failure', attrs: { reason: '401', location: 'sim' } })
    return
  }
  const previous = device.connection
  device.connection = connection
  connection.device = device
  if (previous?.isOpen) void previous.endStream(streamEnd('conflict'))
  connection.send({ tag: 'success', attrs: { t: unixSeconds(), lid: device.lid, location: 'sim', props: '1', creation: String(Math.floor(device.pairedAt.getTime() / 1000)) } })
  const queued = device.offline.splice(0)
  for (const node of queued) connection.send(node)
  connection.send({ tag: 'ib', attrs: { from: SERVER_JID }, content: [{ tag: 'offline', attrs: { count: String(queued.length) } }] })
  core.logger.debug({ jid: device.jid, connection: connection.id, offline: queued.length }, 'simulator: device logged in')
  core.changed()
}
