// Linking a companion, as the phone and WhatsApp's server do it together:
// - registration: the unpaired client gets `pair-device` refs and shows them as QR codes;
// - QR: the phone reads ref, noise key, identity key and ADV secret from the QR and answers with
//   `pair-success`: the device identity signed with the account key, HMAC'd with the ADV secret;
// - pairing code: `link_code_companion_reg` stages (companion_hello, primary_hello,
//   companion_finish) agree on the ADV secret from the 8-character code, then `pair-success`;
// - the companion countersigns its identity (`pair-device-sign`) and the server ends the stream with
//   515 so that the client reconnects and logs in.
import { randomBytes } from 'node:crypto'
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  derivePairingCodeKey,
  hkdf,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  type BinaryNode,
} from '@whiskeysockets/baileys'
import { ConnectionError, ValidationError } from '../../errors.js'
import type { SimConnection } from './connection.js'
import type { SimCore } from './core.js'
import { normalizeHistory, type SimHistory } from './history.js'
import { child, childBytes, decodeUInt, iqResult, SERVER_JID, stanzaId, unixSeconds } from './nodes.js'
import { normalizePhone, type DeviceKeys, type DeviceRecord } from './registry.js'
import { verifyXEdDSA } from './xeddsa.js'

const QR_PREFIX = 'https://wa.me/settings/linked_devices#'
const PAIRING_CODE_WAIT_MS = 10_000
const PAIRING_ADV_INFO = 'adv_secret'
const KEY_BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key'

export interface Registration {
  connection: SimConnection
  keys: DeviceKeys
  refs: string[]
  /** Set once the companion asked for a pairing code (`companion_hello`). */
  pairingCode?: { phone: string; wrappedCompanionEphemeral: Buffer; ref: Buffer }
  /** Waiting for the companion's `companion_finish` after the phone sent `primary_hello`. */
  onCompanionFinish?: (node: BinaryNode) => void
}

export interface PairOptions {
  /** The phone number that links the device (digits with country code, or a PN JID). */
  phone: string
  /** The account's display name. */
  pushName?: string
  /** What the phone reports as its platform (`creds.platform`), e.g. 'android', 'smba'. @default 'android' */
  platform?: string
  /**
   * The chats the phone has, sent to the new device in its first history sync (and to later
   * devices of the number). @default what an earlier pairing of the number gave, else none
   */
  history?: SimHistory
}

function pairingFailed(message: string, details?: Record<string, unknown>): ConnectionError {
  return new ConnectionError('PAIRING_FAILED', message, details ? { details } : {})
}

/** An unpaired client finished the handshake: remember its keys and hand it QR refs. */
export function startRegistration(core: SimCore, connection: SimConnection, clientStatic: Buffer, payload: proto.ClientPayload): void {
  const data = payload.devicePairingData
  const registrationId = decodeUInt(data?.eRegid ?? undefined)
  const signedPreKeyId = decodeUInt(data?.eSkeyId ?? undefined)
  if (!data?.eIdent || !data.eSkeyVal || !data.eSkeySig || registrationId === undefined || signedPreKeyId === undefined) {
    throw new ConnectionError('CONNECTION_FAILED', 'Registration payload without complete device pairing data')
  }
  const props = data.deviceProps ? proto.DeviceProps.decode(data.deviceProps) : undefined
  const platformType = props?.platformType ?? undefined
  const registration: Registration = {
    connection,
    keys: {
      noisePublic: clientStatic,
      identityPublic: Buffer.from(data.eIdent),
      registrationId,
      signedPreKey: { keyId: signedPreKeyId, publicKey: Buffer.from(data.eSkeyVal), signature: Buffer.from(data.eSkeySig) },
      platform: [props?.os, platformType === undefined ? undefined : proto.DeviceProps.PlatformType[platformType]].filter(Boolean).join(' / ') || 'unknown',
    },
    refs: Array.from({ length: core.qrRefs }, () => randomBytes(16).toString('base64url')),
  }
  core.registrations.set(connection, registration)
  connection.send({
    tag: 'iq',
    attrs: { id: stanzaId(), type: 'set', from: SERVER_JID, xmlns: 'md', t: unixSeconds() },
    content: [{ tag: 'pair-device', attrs: {}, content: registration.refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
  })
  core.changed()
}

/** Parses what Baileys puts in the QR: `ref,noiseKey,identityKey,advSecret,platform` (base64). */
export function parseQr(qr: string): { ref: string; noisePublic: Buffer; identityPublic: Buffer; advSecret: Buffer } {
  const [ref, noise, identity, adv] = (qr.startsWith(QR_PREFIX) ? qr.slice(QR_PREFIX.length) : qr).split(',')
  if (!ref || !noise || !identity || !adv) {
    throw new ValidationError('VALIDATION_ERROR', 'Not a WhatsApp pairing QR (expected ref,noiseKey,identityKey,advSecret,platform)')
  }
  return { ref, noisePublic: Buffer.from(noise, 'base64'), identityPublic: Buffer.from(identity, 'base64'), advSecret: Buffer.from(adv, 'base64') }
}

/** The phone scans a QR shown by a registering client. */
export async function scanQr(core: SimCore, qr: string, options: PairOptions): Promise<DeviceRecord> {
  const scanned = parseQr(qr)
  const registration = [...core.registrations.values()].find((candidate) => candidate.refs.includes(scanned.ref))
  if (!registration) throw pairingFailed('No connected client shows this QR (it expired, or its socket closed)')
  if (!registration.keys.noisePublic.equals(scanned.noisePublic) || !registration.keys.identityPublic.equals(scanned.identityPublic)) {
    throw pairingFailed('The QR keys do not match the client that holds its ref')
  }
  return completePairing(core, registration, scanned.advSecret, options)
}

/** The companion called `requestPairingCode`: remember its wrapped key until the phone types the code. */
export function acceptCompanionHello(core: SimCore, registration: Registration, stage: BinaryNode): BinaryNode {
  const wrapped = childBytes(stage, 'link_code_pairing_wrapped_companion_ephemeral_pub')
  const companionNoise = childBytes(stage, 'companion_server_auth_key_pub')
  if (!wrapped || wrapped.length !== 80 || !companionNoise?.equals(registration.keys.noisePublic) || !stage.attrs.jid) {
    throw pairingFailed('Malformed companion_hello')
  }
  const ref = Buffer.from(randomBytes(16).toString('base64url'))
  registration.pairingCode = { phone: normalizePhone(stage.attrs.jid), wrappedCompanionEphemeral: wrapped, ref }
  core.changed()
  return {
    tag: 'link_code_companion_reg',
    attrs: {},
    content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }],
  }
}

/** Decrypts a 32-byte public key wrapped with the pairing code: salt(32) | iv(16) | AES-CTR(key). */
async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
  const key = await derivePairingCodeKey(code, wrapped.subarray(0, 32))
  return aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48))
}

async function wrapWithCode(code: string, publicKey: Uint8Array): Promise<Buffer> {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const key = await derivePairingCodeKey(code, salt)
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, key, iv)])
}

/** The phone types the 8-character code the companion displays. */
export async function enterPairingCode(core: SimCore, code: string, options: PairOptions): Promise<DeviceRecord> {
  const phone = normalizePhone(options.phone)
  const registration = await core.waitFor(
    () => [...core.registrations.values()].find((candidate) => candidate.pairingCode?.phone === phone),
    PAIRING_CODE_WAIT_MS,
    `a client requesting a pairing code for ${phone}`,
  )
  const request = registration.pairingCode!
  const account = core.registry.ensureAccount(phone, options.pushName)
  const accountIdentity = account.primary.identity
  const companionEphemeral = await unwrapWithCode(code.toUpperCase(), request.wrappedCompanionEphemeral)
  const primaryEphemeral = Curve.generateKeyPair()
  const finished = new Promise<BinaryNode>((resolve) => (registration.onCompanionFinish = resolve))
  registration.connection.send({
    tag: 'notification',
    attrs: { from: SERVER_JID, type: 'link_code_companion_reg', id: stanzaId(), t: unixSeconds() },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { stage: 'primary_hello' },
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: request.ref },
          { tag: 'primary_identity_pub', attrs: {}, content: Buffer.from(accountIdentity.public) },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: await wrapWithCode(code.toUpperCase(), primaryEphemeral.public) },
        ],
      },
    ],
  })
  const finish = await Promise.race([finished, registration.connection.whenClosed().then(() => undefined)])
  if (!finish) throw pairingFailed('The companion disconnected before finishing the pairing code exchange')
  const stage = child(finish, 'link_code_companion_reg')
  const bundle = childBytes(stage, 'link_code_pairing_wrapped_key_bundle')
  if (!bundle || bundle.length < 32 + 12 + 16) throw pairingFailed('companion_finish without a key bundle')
  const sharedEphemeral = Curve.sharedKey(primaryEphemeral.private, companionEphemeral)
  const bundleKey = hkdf(sharedEphemeral, 32, { salt: bundle.subarray(0, 32), info: KEY_BUNDLE_INFO })
  let plain: Buffer
  try {
    plain = aesDecryptGCM(bundle.subarray(44), bundleKey, bundle.subarray(32, 44), Buffer.alloc(0))
  } catch (error) {
    // The companion derived its key from its own code: a different one typed here breaks the GCM tag.
    throw new ConnectionError('PAIRING_FAILED', 'Wrong pairing code: the companion key bundle does not decrypt', { cause: error })
  }
  const companionIdentity = plain.subarray(0, 32)
  if (!companionIdentity.equals(registration.keys.identityPublic) || !plain.subarray(32, 64).equals(Buffer.from(accountIdentity.public))) {
    throw pairingFailed('The companion key bundle names other identities')
  }
  const identityShared = Curve.sharedKey(accountIdentity.private, companionIdentity)
  const advSecret = Buffer.from(hkdf(Buffer.concat([sharedEphemeral, identityShared, plain.subarray(64, 96)]), 32, { info: PAIRING_ADV_INFO }))
  return completePairing(core, registration, advSecret, options)
}

/** `pair-success` with a signed device identity, the companion's countersignature, then 515. */
async function completePairing(core: SimCore, registration: Registration, advSecret: Buffer, options: PairOptions): Promise<DeviceRecord> {
  const history = options.history ? normalizeHistory(options.history) : undefined
  const account = core.registry.ensureAccount(normalizePhone(options.phone), options.pushName)
  if (history) account.history = history
  // The phone's push name reaches the new device through app state, as on WhatsApp.
  await account.appState.setPushName(account.pushName)
  const slot = core.registry.reserveSlot(account)
  const { jid, lid } = core.registry.deviceJids(account, slot)
  const accountKey = account.primary.identity
  const details = proto.ADVDeviceIdentity.encode({
    rawId: account.advRawId,
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: slot.keyIndex,
    accountType: proto.ADVEncryptionType.E2EE,
    deviceType: proto.ADVEncryptionType.E2EE,
  }).finish()
  const accountSignature = Curve.sign(accountKey.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, registration.keys.identityPublic]))
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: accountKey.public, accountSignature }).finish()
  const identityHmac = proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signedIdentity,
    hmac: hmacSign(signedIdentity, advSecret),
    accountType: proto.ADVEncryptionType.E2EE,
  }).finish()
  const reply = await registration.connection.request({
    tag: 'iq',
    attrs: { type: 'set', from: SERVER_JID, xmlns: 'md', t: unixSeconds() },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: { 'key-index': String(slot.keyIndex) }, content: identityHmac },
          { tag: 'platform', attrs: { name: options.platform ?? 'android' } },
          { tag: 'device', attrs: { jid, lid } },
        ],
      },
    ],
  })
  verifyCountersignature(reply, details, registration.keys.identityPublic, Buffer.from(accountKey.public))
  const device = core.registry.addDevice(account, slot, registration.keys)
  core.registrations.delete(registration.connection)
  core.logger.debug({ jid: device.jid, connection: registration.connection.id }, 'simulator: device paired')
  core.changed()
  // WhatsApp asks every freshly paired client to reconnect; Baileys then logs in with its new creds.
  await registration.connection.endStream({ tag: 'stream:error', attrs: { code: '515' } })
  return device
}

/** The companion's `pair-device-sign`: its own signature over the identity the account signed. */
function verifyCountersignature(reply: BinaryNode, details: Uint8Array, deviceIdentity: Buffer, accountKey: Buffer): void {
  const signed = childBytes(child(reply, 'pair-device-sign'), 'device-identity')
  if (reply.attrs.type !== 'result' || !signed) throw pairingFailed('The companion rejected pair-success', { reply: reply.attrs })
  const identity = proto.ADVSignedDeviceIdentity.decode(signed)
  const message = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, deviceIdentity, accountKey])
  if (!identity.deviceSignature || !verifyXEdDSA(deviceIdentity, message, identity.deviceSignature)) {
    throw pairingFailed('The companion device signature does not verify')
  }
}

export function companionFinished(registration: Registration, node: BinaryNode): BinaryNode {
  if (!registration.onCompanionFinish) throw pairingFailed('companion_finish without a primary_hello')
  registration.onCompanionFinish(node)
  registration.onCompanionFinish = undefined
  return iqResult(node)
}
