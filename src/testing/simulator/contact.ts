// A simulated WhatsApp user (its phone, device 0) that tests drive: it sends 1:1 messages (texts,
// media) to the linked devices of a number and collects what devices send to it.
import type { AnyMediaMessageContent, proto } from '@whiskeysockets/baileys'
import { SendError } from '../../errors.js'
import type { SimCore } from './core.js'
import type { InboundMatcher, SimInboundMessage } from './inbox.js'
import { sendFromPhone, type PhoneSendResult } from './messaging.js'
import { prepareMedia } from './phone-media.js'
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
  /**
   * Encrypts and uploads a file to the simulator's media host, then sends the media message, as a
   * phone does: `{ image: buffer, caption }`, `{ document: buffer, mimetype, fileName }`,
   * `{ audio: buffer, ptt: true }`, ... (Baileys' `AnyMediaMessageContent`).
   */
  sendMedia(to: string, content: AnyMediaMessageContent): Promise<PhoneSendResult>
  /** Texts this contact decrypted, oldest first. */
  received(): string[]
  /** Everything this contact decrypted, with ids, senders and the full message. */
  messages(): SimInboundMessage[]
  /** The first message (received already or still to come) whose text equals / matches `match`. @default timeout 10 s */
  waitForMessage(match?: InboundMatcher, timeoutMs?: number): Promise<SimInboundMessage>
  /**
   * Calls `listener` with every message this contact decrypts from now on (an auto-responder, say).
   * A listener that throws or rejects is logged, never breaks delivery. Returns the unsubscribe function.
   */
  onMessage(listener: (message: SimInboundMessage) => unknown): () => void
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
    return sendFromPhone(this.account, this.recipient(to).devices.values(), message)
  }

  async sendMedia(to: string, content: AnyMediaMessageContent): Promise<PhoneSendResult> {
    const recipient = this.recipient(to) // before the upload: nothing is uploaded for nobody
    return sendFromPhone(this.account, recipient.devices.values(), await prepareMedia(this.core.media, content, this.core.logger))
  }

  private recipient(to: string): AccountRecord {
    const recipient = this.core.registry.account(normalizePhone(to))
    if (!recipient) {
      throw new SendError('SEND_FAILED', `${to} is not on the simulated network (pair a device or create it with sim.contact())`, { details: { to } })
    }
    return recipient
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

  onMessage(listener: (message: SimInboundMessage) => unknown): () => void {
    const report = (error: unknown) => this.core.logger.error({ err: error, contact: this.phone }, 'simulator: a contact message listener failed')
    return this.account.inbox.subscribe((message) => {
      try {
        void Promise.resolve(listener(message)).catch(report)
      } catch (error) {
        report(error)
      }
    })
  }
}
