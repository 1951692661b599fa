// Answers to the client's IQs: keep-alive pings, everything Baileys asks right after login
// (pre-key count and upload, passive, digest, props, blocklist, privacy, app-state sync), USync,
// key bundles, media hosts (`media_conn`), pairing-code stages and logout. An IQ the simulator does not know gets a 501 error
// (and a warning), so that a feature it lacks fails loudly instead of parsing an empty answer.
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { SimConnection } from './connection.js'
import type { SimCore } from './core.js'
import { sendHistoryBootstrap } from './history.js'
import { deliver } from './messaging.js'
import { child, firstChild, iqError, iqResult, SERVER_JID, stanzaId, unixSeconds } from './nodes.js'
import { acceptCompanionHello, companionFinished } from './pairing.js'
import { handleEncryptIq } from './prekeys.js'
import { answerUSync } from './usync.js'

/** Privacy settings as a fresh account has them (what `fetchPrivacySettings` reads). */
const DEFAULT_PRIVACY: Record<string, string> = {
  readreceipts: 'all',
  last: 'all',
  online: 'all',
  profile: 'all',
  status: 'all',
  groupadd: 'all',
  calladd: 'all',
  messages: 'all',
}

function answerMd(core: SimCore, connection: SimConnection, node: BinaryNode): BinaryNode {
  const request = firstChild(node)
  if (request?.tag === 'link_code_companion_reg') {
    const registration = core.registrations.get(connection)
    if (!registration) return iqError(node, 400, 'bad-request')
    if (request.attrs.stage === 'companion_hello') return iqResult(node, [acceptCompanionHello(core, registration, request)])
    if (request.attrs.stage === 'companion_finish') return companionFinished(registration, node)
    return iqError(node, 400, 'bad-request')
  }
  if (request?.tag === 'remove-companion-device' && connection.device) {
    // `sock.logout()`: the device unlinks itself; Baileys closes with 401 on its own.
    core.registry.removeDevice(connection.device)
    core.changed()
    return iqResult(node)
  }
  return iqError(node, 501, 'feature-not-implemented')
}

function answerPrivacy(node: BinaryNode): BinaryNode {
  if (node.attrs.type === 'get') {
    const categories = Object.entries(DEFAULT_PRIVACY).map(([name, value]) => ({ tag: 'category', attrs: { name, value } }))
    return iqResult(node, [{ tag: 'privacy', attrs: {}, content: categories }])
  }
  // Setting a category, or issuing privacy tokens after a send: accepted, no tokens handed back.
  return iqResult(node, child(node, 'tokens') ? [{ tag: 'tokens', attrs: {} }] : undefined)
}

/** App state sync; when a device pushed a patch, the account's other devices are told to resync. */
function answerAppState(connection: SimConnection, node: BinaryNode): void {
  const device = connection.device
  if (!device) {
    connection.send(iqError(node, 401, 'not-authorized'))
    return
  }
  const { reply, changed } = device.account.appState.answer(node)
  connection.send(reply)
  for (const other of device.account.devices.values()) {
    if (other === device) continue
    for (const name of changed) {
      deliver(other, {
        tag: 'notification',
        attrs: { from: SERVER_JID, type: 'server_sync', id: stanzaId(), t: unixSeconds() },
        content: [{ tag: 'collection', attrs: { name, version: String(device.account.appState.version(name)) } }],
      })
    }
  }
}

export async function handleIq(core: SimCore, connection: SimConnection, node: BinaryNode): Promise<void> {
  const { type, xmlns } = node.attrs
  // Answers to server pushes nobody waits for (e.g. the client's ack of `pair-device`).
  if (type === 'result' || type === 'error') return
  switch (xmlns) {
    case 'w:p':
      connection.send(iqResult(node))
      return
    case 'encrypt':
      await handleEncryptIq(core, connection, node, (device) => sendHistoryBootstrap(core, device))
      return
    case 'usync':
      connection.send(answerUSync(core, node))
      return
    case 'md':
      connection.send(answerMd(core, connection, node))
      return
    case 'passive':
    case 'w:stats':
      connection.send(iqResult(node))
      return
    case 'abt':
      connection.send(iqResult(node, [{ tag: 'props', attrs: { protocol: '1', hash: 'wafleet-simulator' } }]))
      return
    case 'blocklist':
      connection.send(iqResult(node, node.attrs.type === 'get' ? [{ tag: 'list', attrs: {} }] : undefined))
      return
    case 'privacy':
      connection.send(answerPrivacy(node))
      return
    case 'w:sync:app:state':
      answerAppState(connection, node)
      return
    case 'w:m':
      // media_conn: where to upload media, with an upload token.
      connection.send(connection.device && child(node, 'media_conn') ? core.media.answerMediaConn(node) : iqError(node, 401, 'not-authorized'))
      return
    default:
      core.logger.warn({ xmlns, type, child: firstChild(node)?.tag }, 'simulator: IQ not simulated, answered 501')
      connection.send(iqError(node, 501, 'feature-not-implemented'))
  }
}
