// A simulated WhatsApp user (its phone, device 0) that tests drive: it sends 1:1 messages to the
// linked devices of a number and collects what devices send to it.
import type { proto } from '@whiskeysockets/baileys'
import { SendError } from '../../errors.js'
import type { SimCore } from './core.js'
import type { InboundMatcher, SimInboundMessage } from './inbox.js'
import { sendFromPhone, type PhoneSendResult } from './messaging.js'
import { normalizePhone, type AccountRecord } from './registry.js'

const DEFAULT_WAIT_MS = 10_000

/** A WhatsApp user on the simulated network, from `sim.contact(phone)`. */
export interface SimContact {
  readonly phone: string
  /** `<phone>@s.whatsapp.net` */
  readonly jid: string
  /** `<lid>@lid`, the contact's LID on the simulated network. */
  readonly lid: string
  readonly pushName: string
  sendText(to: string, text: string): Promise<PhoneSendResult>
  /** Sends any message content (a `proto.IMessage`), like `sendText`. */
  send(to: string, message: proto.IMessage): Promise<PhoneSendResult>
  /** Texts this contact decrypted, oldest first. */
  received(): string[]
  /** Everything this contact decrypted, with ids, senders and the full message. */
  messages(): SimInboundMessage[]
  /** The first message (received already or still to come) whose text equals / matches `match`. @default timeout 10 s */
  waitForMessage(match?: InboundMatcher, timeoutMs?: number): Promise<SimInboundMessage>
}

export class Contact implements SimContact {
  constructor(
    private readonly core: SimCore,
    private readonly account: AccountRecord,
  ) {}

  get phone(): string {
    return this.account.phone
  }

  get jid(): string {
    return this.account.pnJid
  }

  get lid(): string {
    return this.account.lidJid
  }

  get pushName(): string {
    return this.account.pushName
  }

  sendText(to: string, text: string): Promise<PhoneSendResult> {
    return this.send(to, { conversation: text })
  }

  async send(to: string, message: proto.IMessage): Promise<PhoneSendResult> {
    const recipient = this.core.registry.account(normalizePhone(to))
    if (!recipient) {
      throw new SendError('SEND_FAILED', `${to} is not on the simulated network (pair a device or create it with sim.contact())`, { details: { to } })
    }
    return sendFromPhone(this.account, recipient.devices.values(), message)
  }

  received(): string[] {
    return this.account.inbox.list().flatMap((message) => (message.text === undefined ? [] : [message.text]))
  }

  messages(): SimInboundMessage[] {
    return this.account.inbox.list()
  }

  waitForMessage(match?: InboundMatcher, timeoutMs = DEFAULT_WAIT_MS): Promise<SimInboundMessage> {
    return this.account.inbox.wait(match, timeoutMs)
  }
}
