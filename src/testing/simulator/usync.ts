// USync: the server-side directory. Baileys asks it which numbers are on WhatsApp (`contact`), which
// devices a user has before encrypting (`devices`), and a user's LID (`lid`). A number exists on the
// simulated network once it paired a device or was created with `sim.contact()`.
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { SimCore } from './core.js'
import { bytesOf, child, children, iqResult } from './nodes.js'
import { normalizePhone, type AccountRecord } from './registry.js'

function devicesNode(account: AccountRecord | undefined): BinaryNode {
  const devices: BinaryNode[] = account
    ? [
        { tag: 'device', attrs: { id: '0' } },
        ...[...account.devices.values()].map((device) => ({ tag: 'device', attrs: { id: String(device.deviceId), 'key-index': String(device.keyIndex) } })),
      ]
    : []
  return { tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] }
}

function protocolAnswer(protocol: string, account: AccountRecord | undefined, phoneQuery: string | undefined): BinaryNode | undefined {
  switch (protocol) {
    case 'devices':
      return devicesNode(account)
    case 'lid':
      return { tag: 'lid', attrs: account ? { val: account.lidJid } : {} }
    case 'contact':
      return { tag: 'contact', attrs: { type: account ? 'in' : 'out' }, ...(phoneQuery ? { content: phoneQuery } : {}) }
    default:
      // status, disappearing_mode, business, ...: not simulated; Baileys treats absent as unknown.
      return undefined
  }
}

function lookup(core: SimCore, user: BinaryNode): { jid: string; account: AccountRecord | undefined; phoneQuery: string | undefined } {
  if (user.attrs.jid) return { jid: user.attrs.jid, account: core.registry.accountOf(user.attrs.jid), phoneQuery: undefined }
  const phoneQuery = bytesOf(child(user, 'contact')?.content)?.toString('utf8')
  let phone: string | undefined
  try {
    phone = phoneQuery ? normalizePhone(phoneQuery) : undefined
  } catch {
    phone = undefined // not a number at all: answered as "not on WhatsApp", like any unknown one
  }
  const account = phone ? core.registry.account(phone) : undefined
  return { jid: account?.pnJid ?? `${phone ?? '0'}@s.whatsapp.net`, account, phoneQuery }
}

export function answerUSync(core: SimCore, node: BinaryNode): BinaryNode {
  const usync = child(node, 'usync')
  const protocols = children(child(usync, 'query')).map((protocol) => protocol.tag)
  const users = children(child(usync, 'list')).map((user) => {
    const { jid, account, phoneQuery } = lookup(core, user)
    const content = protocols.flatMap((protocol) => protocolAnswer(protocol, account, phoneQuery) ?? [])
    return { tag: 'user', attrs: { jid }, content }
  })
  return iqResult(node, [
    {
      tag: 'usync',
      attrs: { sid: usync?.attrs.sid ?? '', index: '0', last: 'true' },
      content: [
        { tag: 'result', attrs: {}, content: protocols.map((tag) => ({ tag, attrs: {} })) },
        { tag: 'list', attrs: {}, content: users },
      ],
    },
  ])
}
