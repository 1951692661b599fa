// Who exists on the simulated network: phone numbers (accounts), their LIDs, the simulated phone
// of each account (device 0) and the companion devices linked to it (the Baileys sockets).
import { randomInt } from 'node:crypto'
import { Curve, isLidUser, jidDecode, jidEncode, type BinaryNode, type LIDMapping } from '@whiskeysockets/baileys'
import { ValidationError } from '../../errors.js'
import type { Logger } from '../../logger.js'
import { AccountAppState } from './app-state.js'
import type { SimConnection } from './connection.js'
import type { SimHistoryChat } from './history.js'
import { Inbox } from './inbox.js'
import { SignalParty, type SignalPartyOrigin } from './party.js'

export interface SignedPreKeyRecord {
  keyId: number
  publicKey: Buffer
  signature: Buffer
}

export interface AccountRecord {
  /** Digits with country code, no `+`. */
  phone: string
  pnJid: string
  lidJid: string
  pushName: string
  /** The account's phone (device 0). Its identity key is the ADV account signature key. */
  primary: SignalParty
  /** What the phone decrypted: messages sent to this number (and copies of its own devices' sends). */
  inbox: Inbox
  appState: AccountAppState
  /** The chats the phone syncs to each new device in its first history (PairOptions.history). */
  history: SimHistoryChat[]
  /** `rawId` of the account's ADV device identities: one per account, as on a real phone. */
  advRawId: number
  devices: Map<number, DeviceRecord>
  nextDeviceId: number
  nextKeyIndex: number
}

/** A device id and key index taken for a pairing in progress; never reused, even if it fails. */
export interface DeviceSlot {
  deviceId: number
  keyIndex: number
}

export interface DeviceRecord {
  account: AccountRecord
  deviceId: number
  jid: string
  lid: string
  keyIndex: number
  platform: string
  pairedAt: Date
  /** `creds.noiseKey.public`: a login must come with it. */
  noisePublic: Buffer
  identityPublic: Buffer
  registrationId: number
  signedPreKey: SignedPreKeyRecord
  /** One-time pre-keys uploaded and not yet handed out, by id. */
  preKeys: Map<number, Buffer>
  connection: SimConnection | undefined
  /** Stanzas waiting for the device's next login (WhatsApp's offline queue). */
  offline: BinaryNode[]
  /** Whether the phone already sent this device its history bootstrap. */
  bootstrapped: boolean
}

/** What a companion brings to its registration (from the client payload's device pairing data). */
export type DeviceKeys = Pick<DeviceRecord, 'platform' | 'noisePublic' | 'identityPublic' | 'registrationId' | 'signedPreKey'>

const PHONE_PATTERN = /^[1-9]\d{7,14}$/

/** Digits with country code from a phone number or a PN JID; throws on anything else. */
export function normalizePhone(input: string): string {
  const decoded = input.includes('@') ? jidDecode(input) : undefined
  const digits = decoded ? decoded.user : input.replace(/[\s()+-]/g, '')
  if (!PHONE_PATTERN.test(digits) || (decoded && decoded.server !== 's.whatsapp.net')) {
    throw new ValidationError('INVALID_PHONE', `Not a phone number or PN JID: ${input}`, { details: { input } })
  }
  return digits
}

export class Registry {
  private readonly byPhone = new Map<string, AccountRecord>()
  private readonly byLidUser = new Map<string, AccountRecord>()

  constructor(private readonly logger: Logger) {}

  account(phone: string): AccountRecord | undefined {
    return this.byPhone.get(phone)
  }

  /** The account for a phone number, created (with its phone and a LID) on first use. */
  ensureAccount(phone: string, pushName?: string): AccountRecord {
    const existing = this.byPhone.get(phone)
    if (existing) {
      if (pushName) existing.pushName = pushName
      return existing
    }
    let lidUser: string
    do lidUser = String(randomInt(100_000_000_000_000, 281_474_976_710_655))
    while (this.byLidUser.has(lidUser))
    const account: AccountRecord = {
      phone,
      pnJid: jidEncode(phone, 's.whatsapp.net'),
      lidJid: jidEncode(lidUser, 'lid'),
      pushName: pushName ?? `+${phone}`,
      primary: this.phoneParty(phone, { identity: Curve.generateKeyPair() }),
      inbox: new Inbox(),
      appState: new AccountAppState(),
      history: [],
      advRawId: randomInt(1, 2 ** 31),
      devices: new Map(),
      nextDeviceId: 1,
      nextKeyIndex: 1,
    }
    this.addAccount(account)
    return account
  }

  /** The Signal party of a number's phone: a new one, or one saved with `exportState()`. */
  phoneParty(phone: string, origin: SignalPartyOrigin): SignalParty {
    return new SignalParty({ ...origin, logger: this.logger.child({ party: phone }), lookupLids: (jids) => this.lidMappings(jids) })
  }

  /** Indexes an account by number and LID (a new one, or one restored from a snapshot). */
  addAccount(account: AccountRecord): void {
    const lidUser = jidDecode(account.lidJid)!.user
    if (this.byPhone.has(account.phone) || this.byLidUser.has(lidUser)) {
      throw new ValidationError('INVALID_CONFIG', `The simulated network already has ${account.phone} or its LID`, { details: { phone: account.phone } })
    }
    this.byPhone.set(account.phone, account)
    this.byLidUser.set(lidUser, account)
  }

  /** The account behind any user JID (PN or LID, with or without a device). */
  accountOf(jid: string): AccountRecord | undefined {
    const decoded = jidDecode(jid)
    if (!decoded) return undefined
    return isLidUser(jid) ? this.byLidUser.get(decoded.user) : this.byPhone.get(decoded.user)
  }

  /** Resolves a device-level JID: device 0 is the account's phone, others are linked devices. */
  endpoint(jid: string): { account: AccountRecord; device: DeviceRecord | undefined } | undefined {
    const account = this.accountOf(jid)
    if (!account) return undefined
    const deviceId = jidDecode(jid)?.device ?? 0
    if (deviceId === 0) return { account, device: undefined }
    const device = account.devices.get(deviceId)
    return device ? { account, device } : undefined
  }

  accounts(): AccountRecord[] {
    return [...this.byPhone.values()]
  }

  allDevices(): DeviceRecord[] {
    return this.accounts().flatMap((account) => [...account.devices.values()])
  }

  reserveSlot(account: AccountRecord): DeviceSlot {
    return { deviceId: account.nextDeviceId++, keyIndex: account.nextKeyIndex++ }
  }

  deviceJids(account: AccountRecord, slot: DeviceSlot): { jid: string; lid: string } {
    return {
      jid: jidEncode(account.phone, 's.whatsapp.net', slot.deviceId),
      lid: jidEncode(jidDecode(account.lidJid)!.user, 'lid', slot.deviceId),
    }
  }

  addDevice(account: AccountRecord, slot: DeviceSlot, keys: DeviceKeys): DeviceRecord {
    const device: DeviceRecord = {
      ...keys,
      ...this.deviceJids(account, slot),
      ...slot,
      account,
      pairedAt: new Date(),
      preKeys: new Map(),
      connection: undefined,
      offline: [],
      bootstrapped: false,
    }
    account.devices.set(slot.deviceId, device)
    return device
  }

  removeDevice(device: DeviceRecord): void {
    device.account.devices.delete(device.deviceId)
  }

  /** PN→LID for the accounts the simulator knows, as WhatsApp's USync `lid` protocol answers. */
  lidMappings(pnJids: string[]): LIDMapping[] {
    return pnJids.flatMap((pn) => {
      const account = isLidUser(pn) ? undefined : this.accountOf(pn)
      return account ? [{ pn: account.pnJid, lid: account.lidJid }] : []
    })
  }
}
