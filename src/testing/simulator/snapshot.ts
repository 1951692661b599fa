// The simulated network saved and restored: numbers, their LIDs, each phone's Signal store and
// app state, linked devices with their keys, pre-keys and offline queues. With it a simulator can
// stop and start again (a demo that restarts, say) and the devices Baileys linked to it still log
// in, and the Signal sessions between them and the phones go on. Not kept: connections, pairings
// in progress, the phones' inboxes and uploaded media.
import type { BinaryNode } from '@whiskeysockets/baileys'
import { ValidationError } from '../../errors.js'
import { AccountAppState, type AppStateSnapshot } from './app-state.js'
import type { SimHistoryChat } from './history.js'
import { Inbox } from './inbox.js'
import { fromJsonSafe, toJsonSafe } from './json-bytes.js'
import type { SignalPartyState } from './party.js'
import type { AccountRecord, DeviceRecord, Registry } from './registry.js'

export const SNAPSHOT_FORMAT = 'wafleet-simulator/1'

/**
 * The simulated network as JSON-safe data, from `sim.snapshot()`, for `startWhatsAppSimulator({
 * restore })`. It holds the simulated phones' private keys: test data, but keep it out of logs and
 * repositories. Its content is not an API.
 */
export interface SimulatorSnapshot {
  readonly format: typeof SNAPSHOT_FORMAT
  readonly savedAt: string
  readonly accounts: readonly unknown[]
}

interface DeviceSnapshot {
  deviceId: number
  keyIndex: number
  jid: string
  lid: string
  platform: string
  pairedAt: string
  bootstrapped: boolean
  /** Keys, pre-keys and queued stanzas, bytes in BufferJSON form. */
  keys: unknown
  offline: unknown
}

interface AccountSnapshot {
  phone: string
  lidJid: string
  pushName: string
  advRawId: number
  nextDeviceId: number
  nextKeyIndex: number
  history: SimHistoryChat[]
  primary: SignalPartyState
  appState: AppStateSnapshot
  devices: DeviceSnapshot[]
}

function saveDevice(device: DeviceRecord): DeviceSnapshot {
  return {
    deviceId: device.deviceId,
    keyIndex: device.keyIndex,
    jid: device.jid,
    lid: device.lid,
    platform: device.platform,
    pairedAt: device.pairedAt.toISOString(),
    bootstrapped: device.bootstrapped,
    keys: toJsonSafe({
      noisePublic: device.noisePublic,
      identityPublic: device.identityPublic,
      registrationId: device.registrationId,
      signedPreKey: device.signedPreKey,
      preKeys: [...device.preKeys],
    }),
    offline: toJsonSafe(device.offline),
  }
}

async function saveAccount(account: AccountRecord): Promise<AccountSnapshot> {
  return {
    phone: account.phone,
    lidJid: account.lidJid,
    pushName: account.pushName,
    advRawId: account.advRawId,
    nextDeviceId: account.nextDeviceId,
    nextKeyIndex: account.nextKeyIndex,
    history: account.history,
    primary: await account.primary.exportState(),
    appState: account.appState.exportState(),
    devices: [...account.devices.values()].map(saveDevice),
  }
}

export async function snapshotRegistry(registry: Registry): Promise<SimulatorSnapshot> {
  return { format: SNAPSHOT_FORMAT, savedAt: new Date().toISOString(), accounts: await Promise.all(registry.accounts().map(saveAccount)) }
}

function restoreDevice(account: AccountRecord, saved: DeviceSnapshot): DeviceRecord {
  const keys = fromJsonSafe<Pick<DeviceRecord, 'noisePublic' | 'identityPublic' | 'registrationId' | 'signedPreKey'> & { preKeys: [number, Buffer][] }>(saved.keys)
  return {
    ...keys,
    account,
    deviceId: saved.deviceId,
    keyIndex: saved.keyIndex,
    jid: saved.jid,
    lid: saved.lid,
    platform: saved.platform,
    pairedAt: new Date(saved.pairedAt),
    bootstrapped: saved.bootstrapped,
    preKeys: new Map(keys.preKeys),
    offline: fromJsonSafe<BinaryNode[]>(saved.offline),
    connection: undefined,
  }
}

/** Fills an empty registry from a snapshot; a malformed one is refused as a whole. */
export function restoreRegistry(registry: Registry, snapshot: SimulatorSnapshot): void {
  if (snapshot?.format !== SNAPSHOT_FORMAT || !Array.isArray(snapshot.accounts)) {
    throw new ValidationError('INVALID_CONFIG', `Not a simulator snapshot (expected format ${SNAPSHOT_FORMAT})`, { details: { format: snapshot?.format } })
  }
  let accounts: AccountRecord[]
  try {
    accounts = (snapshot.accounts as AccountSnapshot[]).map((saved) => {
      const account: AccountRecord = {
        phone: saved.phone,
        pnJid: `${saved.phone}@s.whatsapp.net`,
        lidJid: saved.lidJid,
        pushName: saved.pushName,
        primary: registry.phoneParty(saved.phone, { state: saved.primary }),
        inbox: new Inbox(),
        appState: new AccountAppState(saved.appState),
        history: saved.history,
        advRawId: saved.advRawId,
        devices: new Map(),
        nextDeviceId: saved.nextDeviceId,
        nextKeyIndex: saved.nextKeyIndex,
      }
      for (const device of saved.devices) account.devices.set(device.deviceId, restoreDevice(account, device))
      return account
    })
  } catch (error) {
    throw new ValidationError('INVALID_CONFIG', 'The simulator snapshot is damaged', { cause: error })
  }
  for (const account of accounts) registry.addAccount(account)
}
