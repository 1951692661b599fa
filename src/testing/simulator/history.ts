// The phone's first words to a new device: the app state key, then a history sync notification
// (INITIAL_BOOTSTRAP, its payload inline). Baileys holds every buffered event of a first
// connection until history arrives (Socket/chats.js, AwaitingInitialSync, up to 20 s); this is
// what ends that wait, as it does with a real phone, and the app state sync it triggers can read
// the push name with the key. The payload carries no chats, only the PN-LID mappings of known numbers.
import { deflateSync } from 'node:zlib'
import { proto } from '@whiskeysockets/baileys'
import type { SimCore } from './core.js'
import { sendFromPhone } from './messaging.js'
import type { DeviceRecord } from './registry.js'

export async function sendHistoryBootstrap(core: SimCore, device: DeviceRecord): Promise<void> {
  if (device.bootstrapped) return
  device.bootstrapped = true
  const account = device.account
  const known = core.registry.accounts().filter((other) => other !== account)
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: [],
    phoneNumberToLidMappings: known.map((other) => ({ pnJid: other.pnJid, lidJid: other.lidJid })),
  }).finish()
  const message: proto.IMessage = {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.Message.HistorySyncType.INITIAL_BOOTSTRAP,
        chunkOrder: 0,
        progress: 100,
        initialHistBootstrapInlinePayload: deflateSync(history),
      },
    },
  }
  // Only this device: the account's other devices got theirs when they were linked.
  await sendFromPhone(account, [device], account.appState.keyShare(), { category: 'peer' })
  await sendFromPhone(account, [device], message, { category: 'peer' })
  core.logger.debug({ jid: device.jid, mappings: known.length }, 'simulator: history bootstrap sent')
}
