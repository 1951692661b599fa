// What a simulated phone decrypted, in arrival order, with waiters for tests that expect a message.
import type { proto } from '@whiskeysockets/baileys'
import type { SimMedia } from './phone-media.js'
import { ChangeWaiters } from './waiters.js'

export interface SimInboundMessage {
  id: string
  /** The sending device's JID (`<phone>:<device>@s.whatsapp.net`). */
  from: string
  /** The `to` of the stanza: the chat the sender addressed. */
  chat: string
  /** The text, for text messages (conversation or extended text, also inside a device-sent copy). */
  text: string | undefined
  /** `pkmsg` while the sender's session is not yet confirmed by an answer, `msg` after. */
  encryption: 'pkmsg' | 'msg'
  /** Image, video, audio, document or sticker: described and decrypted (`data`), or why not (`error`). */
  media: SimMedia | undefined
  message: proto.IMessage
  receivedAt: Date
}

export type InboundMatcher = string | RegExp | ((message: SimInboundMessage) => boolean)

export function textOf(message: proto.IMessage): string | undefined {
  const inner = message.deviceSentMessage?.message ?? message
  return inner.conversation ?? inner.extendedTextMessage?.text ?? undefined
}

function matches(matcher: InboundMatcher | undefined, message: SimInboundMessage): boolean {
  if (matcher === undefined) return true
  if (typeof matcher === 'function') return matcher(message)
  if (typeof matcher === 'string') return message.text === matcher
  return message.text !== undefined && matcher.test(message.text)
}

export class Inbox {
  private readonly items: SimInboundMessage[] = []
  private readonly waiters = new ChangeWaiters()
  private readonly listeners = new Set<(message: SimInboundMessage) => void>()

  add(message: SimInboundMessage): void {
    this.items.push(message)
    this.waiters.changed()
    for (const listener of [...this.listeners]) listener(message)
  }

  /** Calls `listener` with every message added from now on; returns the unsubscribe function. */
  subscribe(listener: (message: SimInboundMessage) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  list(): SimInboundMessage[] {
    return [...this.items]
  }

  /** The first message (already here or still to come) that matches. */
  wait(matcher: InboundMatcher | undefined, timeoutMs: number): Promise<SimInboundMessage> {
    return this.waiters.waitFor(() => this.items.find((message) => matches(matcher, message)), timeoutMs, 'a matching message')
  }
}
