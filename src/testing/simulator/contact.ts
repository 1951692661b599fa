// A simulated WhatsApp user (its phone, device 0) that tests drive: it sends 1:1 messages to the
// linked devices of a number and collects what devices send to it.
import type { proto } from '@whiskeysockets/baileys'
import type { SimCore } from './core.js'
import type { InboundMatcher, SimInboundMessage } from './inbox.js'
import { assertCanReceive, sendFromPhone, type PhoneSendResult } from './messaging.js'
import { normalizePhone, type AccountRecord } from './registry.js'

const DEFAULT_WAIT_MS = 10_000

export class SimContact {
  constructor(
    private readonly core: SimCore,
    private readonly account: AccountRecord,
  ) {}

  get phone(): string {
    return this.account.phone
  }

  /** `<phone>@s.whatsapp.net` */
  get jid(): string {
    return this.account.pnJid
  }

  /** `<lid>@lid`, the contact's LID on the simulated network. */
  get lid(): string {
    return this.account.lidJid
  }

  get pushName(): string {
    return this.account.pushName
  }

  /**
   * Sends a text to every linked device of `to` (a phone number or PN JID), Signal-encrypted to
   * each. Resolves once the stanzas are on the wire or queued for offline devices.
   */
  sendText(to: string, text: string): Promise<PhoneSendResult> {
    return this.send(to, { conversation: text })
  }

  /** Sends any message content (a `proto.IMessage`), like `sendText`. */
  async send(to: string, message: proto.IMessage): Promise<PhoneSendResult> {
    const recipient = assertCanReceive(this.core.registry.account(normalizePhone(to)), to)
    return sendFromPhone(this.account, recipient.devices.values(), message)
  }

  /** Texts this contact decrypted, oldest first. */
  received(): string[] {
    return this.account.inbox.list().flatMap((message) => (message.text === undefined ? [] : [message.text]))
  }

  /** Everything this contact decrypted, with ids, senders and the full message. */
  messages(): SimInboundMessage[] {
    return this.account.inbox.list()
  }

  /** The first message (received already or still to come) whose text equals / matches `match`. */
  waitForMessage(match?: InboundMatcher, timeoutMs = DEFAULT_WAIT_MS): Promise<SimInboundMessage> {
    return this.account.inbox.wait(match, timeoutMs)
  }
}
