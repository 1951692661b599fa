// The phone's first words to a new device: the app state key, then a history sync notification
// (INITIAL_BOOTSTRAP, its payload inline). Baileys holds every buffered event of a first
// connection until history arrives (Socket/chats.js, AwaitingInitialSync, up to 20 s); this is
// what ends that wait, as it does with a real phone, and the app state sync it triggers can read
// the push name with the key. The payload carries the PN-LID mappings of known numbers and the
// chats the account's phone has (`PairOptions.history`), without their messages.
import { deflateSync } from 'node:zlib'
import { isJidGroup, jidNormalizedUser, proto } from '@whiskeysockets/baileys'
import { ValidationError } from '../../errors.js'
import type { SimCore } from './core.js'
import { sendFromPhone } from './messaging.js'
import { normalizePhone, type DeviceRecord, type Registry } from './registry.js'

/** A chat on the account's phone, synced to every new device in its first history. */
export interface SimHistoryChat {
  /** A phone number or PN JID (a 1:1 chat), or a group JID (`<id>@g.us`). */
  jid: string
  /** The contact's name in the phone's address book, or the group's subject. */
  name?: string
}

/** What the phone syncs to a device it links (an option of `scanQr` and `enterPairingCode`). */
export interface SimHistory {
  /**
   * Chats, newest first. Baileys lists every chat of a history sync as a contact too
   * (`processHistoryMessage`): that is how a new device learns the address book's names.
   */
  chats: SimHistoryChat[]
}

/** Checks and normalizes the chats given to a pairing: 1:1 chats as PN JIDs, groups as they are. */
export function normalizeHistory(history: SimHistory): SimHistoryChat[] {
  return history.chats.map(({ jid, name }) => {
    if (isJidGroup(jid)) {
      if (!/^[\d-]+@g\.us$/.test(jid)) throw new ValidationError('VALIDATION_ERROR', `Not a group JID: ${jid}`, { details: { jid } })
      return { jid, ...(name ? { name } : {}) }
    }
    return { jid: `${normalizePhone(jid)}@s.whatsapp.net`, ...(name ? { name } : {}) }
  })
}

/** The chats as history conversations; a number on the simulated network carries its LID. */
function conversations(registry: Registry, chats: SimHistoryChat[]): proto.IConversation[] {
  const now = Math.floor(Date.now() / 1000)
  return chats.map((chat, index) => {
    const account = isJidGroup(chat.jid) ? undefined : registry.accountOf(jidNormalizedUser(chat.jid))
    return {
      id: chat.jid,
      ...(chat.name ? { name: chat.name } : {}),
      ...(account ? { lidJid: account.lidJid, pnJid: account.pnJid } : {}),
      // Newest first, a minute apart, as a phone lists its chats.
      conversationTimestamp: now - index * 60,
      unreadCount: 0,
    }
  })
}

export async function sendHistoryBootstrap(core: SimCore, device: DeviceRecord): Promise<void> {
  if (device.bootstrapped) return
  device.bootstrapped = true
  const account = device.account
  const known = core.registry.accounts().filter((other) => other !== account)
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: conversations(core.registry, account.history),
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
  core.logger.debug({ jid: device.jid, mappings: known.length, chats: account.history.length }, 'simulator: history bootstrap sent')
}
