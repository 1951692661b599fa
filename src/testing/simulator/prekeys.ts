// The `encrypt` IQ namespace: pre-key count, upload, digest, signed pre-key rotation, and the key
// bundles a sender fetches before its first message to a device. Bundles of linked devices come
// from the pre-keys they uploaded (each one-time pre-key handed out once, lowest id first, as
// WhatsApp does); bundles of simulated phones come from their own Signal store.
import { KEY_BUNDLE_TYPE, MIN_PREKEY_COUNT, type BinaryNode } from '@whiskeysockets/baileys'
import type { SimConnection } from './connection.js'
import type { SimCore } from './core.js'
import { child, childBytes, childrenByTag, decodeUInt, encodeUInt, iqError, iqResult, SERVER_JID, stanzaId, unixSeconds } from './nodes.js'
import type { PreKeyBundle } from './party.js'
import type { DeviceRecord } from './registry.js'

/** Hands out the device's lowest unused one-time pre-key (none when exhausted, as on WhatsApp). */
export function takeDeviceBundle(device: DeviceRecord): PreKeyBundle {
  // Ids are uploaded in increasing order, so the Map's first entry is the lowest one.
  const [keyId, publicKey] = device.preKeys.entries().next().value ?? []
  if (keyId !== undefined) device.preKeys.delete(keyId)
  // The server tells a device when it runs low, and Baileys then uploads more (PreKeyLow).
  if (device.preKeys.size < MIN_PREKEY_COUNT && device.connection?.isReady) {
    device.connection.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'encrypt', id: stanzaId(), t: unixSeconds() },
      content: [{ tag: 'count', attrs: { value: String(device.preKeys.size) } }],
    })
  }
  return {
    registrationId: device.registrationId,
    identityKey: device.identityPublic,
    signedPreKey: device.signedPreKey,
    ...(keyId !== undefined && publicKey ? { preKey: { keyId, publicKey } } : {}),
  }
}

function keyNodes(bundle: PreKeyBundle): BinaryNode[] {
  const { signedPreKey, preKey } = bundle
  return [
    { tag: 'registration', attrs: {}, content: encodeUInt(bundle.registrationId, 4) },
    { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
    { tag: 'identity', attrs: {}, content: bundle.identityKey },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeUInt(signedPreKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: signedPreKey.publicKey },
        { tag: 'signature', attrs: {}, content: signedPreKey.signature },
      ],
    },
    ...(preKey
      ? [
          {
            tag: 'key',
            attrs: {},
            content: [
              { tag: 'id', attrs: {}, content: encodeUInt(preKey.keyId, 3) },
              { tag: 'value', attrs: {}, content: preKey.publicKey },
            ],
          },
        ]
      : []),
  ]
}

async function bundleFor(core: SimCore, jid: string): Promise<BinaryNode> {
  const endpoint = core.registry.endpoint(jid)
  if (!endpoint) return { tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] }
  const bundle = endpoint.device ? takeDeviceBundle(endpoint.device) : await endpoint.account.primary.takeBundle()
  return { tag: 'user', attrs: { jid }, content: keyNodes(bundle) }
}

function storeUpload(device: DeviceRecord, node: BinaryNode): void {
  const registrationId = decodeUInt(childBytes(node, 'registration'))
  const identity = childBytes(node, 'identity')
  if (registrationId !== undefined) device.registrationId = registrationId
  if (identity) device.identityPublic = identity
  storeSignedPreKey(device, child(node, 'skey'))
  for (const key of childrenByTag(child(node, 'list'), 'key')) {
    const keyId = decodeUInt(childBytes(key, 'id'))
    const value = childBytes(key, 'value')
    if (keyId !== undefined && value) device.preKeys.set(keyId, value)
  }
}

function storeSignedPreKey(device: DeviceRecord, skey: BinaryNode | undefined): void {
  const keyId = decodeUInt(childBytes(skey, 'id'))
  const publicKey = childBytes(skey, 'value')
  const signature = childBytes(skey, 'signature')
  if (keyId !== undefined && publicKey && signature) device.signedPreKey = { keyId, publicKey, signature }
}

/**
 * Answers an `encrypt` IQ. `onUpload` runs after a pre-key upload has been answered (the phone
 * waits for the device's first pre-keys before it can send it anything).
 */
export async function handleEncryptIq(core: SimCore, connection: SimConnection, node: BinaryNode, onUpload: (device: DeviceRecord) => Promise<void>): Promise<void> {
  const device = connection.device
  if (!device) {
    connection.send(iqError(node, 401, 'not-authorized'))
    return
  }
  if (node.attrs.type === 'set' && child(node, 'list')) {
    storeUpload(device, node)
    connection.send(iqResult(node))
    await onUpload(device)
    return
  }
  const rotate = child(node, 'rotate')
  if (node.attrs.type === 'set' && rotate) {
    storeSignedPreKey(device, child(rotate, 'skey'))
    connection.send(iqResult(node))
    return
  }
  if (child(node, 'count')) {
    connection.send(iqResult(node, [{ tag: 'count', attrs: { value: String(device.preKeys.size) } }]))
    return
  }
  if (child(node, 'digest')) {
    const { registrationId, identityPublic, signedPreKey } = device
    connection.send(iqResult(node, [{ tag: 'digest', attrs: {}, content: keyNodes({ registrationId, identityKey: identityPublic, signedPreKey }) }]))
    return
  }
  const keyRequest = child(node, 'key')
  if (keyRequest) {
    const users = await Promise.all(childrenByTag(keyRequest, 'user').map((user) => bundleFor(core, user.attrs.jid ?? '')))
    connection.send(iqResult(node, [{ tag: 'list', attrs: {}, content: users }]))
    return
  }
  connection.send(iqError(node, 400, 'bad-request'))
}
