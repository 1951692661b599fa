// Messages across the simulated network.
// - Phone -> devices: a simulated phone (a contact, or the account's own phone) encrypts for every
//   linked device of the recipient, opening a Signal session from the device's uploaded pre-keys
//   when it has none; an offline device gets the stanza when it next logs in.
// - Device -> network: the server acks the stanza, then every `<to>` participant gets its copy:
//   another linked device receives it as is, a simulated phone decrypts it (and downloads and
//   decrypts its media) into its inbox and, unless it is the sender's own phone, answers with a
//   delivery receipt.
import { generateMessageIDV2, isJidGroup, type BinaryNode, type proto } from '@whiskeysockets/baileys'
import type { SimConnection } from './connection.js'
import type { SimCore } from './core.js'
import { textOf } from './inbox.js'
import { child, childrenByTag, unixSeconds } from './nodes.js'
import { receiveMedia } from './phone-media.js'
import { takeDeviceBundle } from './prekeys.js'
import type { AccountRecord, DeviceRecord } from './registry.js'

/** Sends a stanza to a device now, or keeps it for its next login. */
export function deliver(device: DeviceRecord, node: BinaryNode): 'sent' | 'queued' {
  if (device.connection?.isReady) {
    device.connection.send(node)
    return 'sent'
  }
  device.offline.push({ ...node, attrs: { ...node.attrs, offline: '1' } })
  return 'queued'
}

export interface PhoneSendResult {
  id: string
  /** Linked devices that got the message now. */
  sent: string[]
  /** Linked devices that will get it at their next login. */
  queued: string[]
}

/**
 * A simulated phone sends `message` to linked devices (a recipient's, or its own account's). `attrs`
 * are extra stanza attributes (`category: 'peer'` from the account's own phone).
 */
export async function sendFromPhone(
  sender: AccountRecord,
  devices: Iterable<DeviceRecord>,
  message: proto.IMessage,
  attrs: Record<string, string> = {},
): Promise<PhoneSendResult> {
  const id = generateMessageIDV2(sender.pnJid)
  const result: PhoneSendResult = { id, sent: [], queued: [] }
  for (const device of devices) {
    const { type, ciphertext } = await sender.primary.encrypt(device.jid, message, () => takeDeviceBundle(device))
    const stanza: BinaryNode = {
      tag: 'message',
      attrs: {
        from: sender.pnJid,
        id,
        t: unixSeconds(),
        type: 'text',
        // To others the sender is named and its LID given (PN addressing carries sender_lid).
        ...(device.account === sender ? {} : { notify: sender.pushName, sender_lid: sender.lidJid }),
        ...attrs,
      },
      content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
    }
    result[deliver(device, stanza)].push(device.jid)
  }
  return result
}

/** A `message` stanza from a linked device. */
export async function handleDeviceMessage(core: SimCore, connection: SimConnection, node: BinaryNode): Promise<void> {
  const sender = connection.device
  if (!sender) {
    core.logger.warn({ connection: connection.id }, 'simulator: message stanza from a client that is not logged in; dropped')
    return
  }
  const destination = node.attrs.to ?? ''
  const id = node.attrs.id ?? ''
  connection.send({ tag: 'ack', attrs: { class: 'message', id, from: destination, t: unixSeconds() } })
  if (isJidGroup(destination)) {
    core.logger.warn({ to: destination, id }, 'simulator: group messages are not simulated; dropped after the ack')
    return
  }
  // A fan-out carries one <to> per device; peer messages and retries carry a bare <enc>.
  const copies = child(node, 'participants')
    ? childrenByTag(child(node, 'participants'), 'to').map((to) => ({ jid: to.attrs.jid ?? '', enc: child(to, 'enc') }))
    : [{ jid: destination, enc: child(node, 'enc') }]
  const deviceIdentity = child(node, 'device-identity')
  for (const copy of copies) {
    if (!copy.enc) continue
    const endpoint = core.registry.endpoint(copy.jid)
    if (!endpoint) {
      core.logger.debug({ to: copy.jid, id }, 'simulator: message for a device that does not exist')
      continue
    }
    if (endpoint.device) {
      const sameAccount = endpoint.account === sender.account
      deliver(endpoint.device, {
        tag: 'message',
        attrs: { from: sender.jid, id, t: unixSeconds(), type: node.attrs.type ?? 'text', notify: sender.account.pushName, ...(sameAccount ? { recipient: destination } : {}) },
        content: [copy.enc, ...(deviceIdentity ? [deviceIdentity] : [])],
      })
      continue
    }
    await receiveOnPhone(core, sender, endpoint.account, { id, chat: destination, enc: copy.enc })
  }
}

async function receiveOnPhone(core: SimCore, sender: DeviceRecord, phone: AccountRecord, copy: { id: string; chat: string; enc: BinaryNode }): Promise<void> {
  const type = copy.enc.attrs.type
  if ((type !== 'pkmsg' && type !== 'msg') || !(copy.enc.content instanceof Uint8Array)) {
    core.logger.warn({ type, id: copy.id }, 'simulator: unsupported encryption type for a phone')
    return
  }
  let message: proto.Message
  try {
    message = await phone.primary.decrypt(sender.jid, type, copy.enc.content)
  } catch (error) {
    // A real phone would send a retry receipt; the simulator reports the broken session instead.
    core.logger.error({ err: error, from: sender.jid, to: phone.pnJid, id: copy.id }, 'simulator: a phone failed to decrypt a message')
    return
  }
  // Like a phone, it fetches and decrypts the media before the message shows up.
  const media = await receiveMedia(core.media, message)
  if (media?.error) core.logger.warn({ from: sender.jid, to: phone.pnJid, id: copy.id, type: media.type, reason: media.error }, 'simulator: a phone could not download a media message')
  phone.inbox.add({ id: copy.id, from: sender.jid, chat: copy.chat, text: textOf(message), encryption: type, media, message, receivedAt: new Date() })
  if (phone !== sender.account) {
    deliver(sender, { tag: 'receipt', attrs: { from: phone.pnJid, id: copy.id, t: unixSeconds() } })
  }
}

/** Receipts a device sends for what it received: acknowledged; a retry request is only reported. */
export function handleDeviceReceipt(core: SimCore, connection: SimConnection, node: BinaryNode): void {
  if (!connection.device) return
  if (node.attrs.type === 'retry') {
    core.logger.warn({ device: connection.device.jid, id: node.attrs.id, to: node.attrs.to }, 'simulator: a device could not decrypt a message (retry receipt); resending is not simulated')
  }
  connection.send({ tag: 'ack', attrs: { class: 'receipt', id: node.attrs.id ?? '', from: node.attrs.to ?? '', ...(node.attrs.type ? { type: node.attrs.type } : {}) } })
}
