import type { BaileysEventMap } from '@whiskeysockets/baileys'
import type { SessionStats } from '../storage/types.js'

const isGroup = (jid: string | null | undefined) => typeof jid === 'string' && jid.endsWith('@g.us')
/** Baileys lists every chat of a history sync as a contact, groups and broadcasts too: only people count. */
const isPerson = (jid: string | null | undefined) => typeof jid === 'string' && /@(s\.whatsapp\.net|lid|c\.us)$/.test(jid)

/**
 * Counts contacts, groups and chats from the events Baileys emits, and messages sent and received.
 * Counts start from the persisted values; ids seen in this process are de-duplicated.
 */
export class StatsTracker {
  private readonly contacts = new Set<string>()
  private readonly groups = new Set<string>()
  private readonly chats = new Set<string>()
  private counts: SessionStats
  private dirty = false

  constructor(initial: SessionStats) {
    this.counts = { ...initial }
  }

  snapshot(): SessionStats {
    return { ...this.counts }
  }

  /** True once since the last `takeDirty()` when something changed. */
  takeDirty(): boolean {
    const was = this.dirty
    this.dirty = false
    return was
  }

  messageSent(): void {
    this.counts.messagesSent++
    this.dirty = true
  }

  private add(set: Set<string>, field: 'contacts' | 'groups' | 'chats', id: string | null | undefined) {
    if (!id || set.has(id)) return
    set.add(id)
    this.counts[field]++
    this.dirty = true
  }

  private remove(set: Set<string>, field: 'contacts' | 'groups' | 'chats', id: string) {
    if (set.delete(id) || this.counts[field] > 0) {
      this.counts[field] = Math.max(0, this.counts[field] - 1)
      this.dirty = true
    }
  }

  /** Feeds one batch of Baileys events. */
  observe(events: Partial<BaileysEventMap>): void {
    const upsert = events['messages.upsert']
    if (upsert?.type === 'notify') {
      for (const message of upsert.messages) {
        // Decryption failures arrive as stubs without content; they are not received messages.
        if (!message.key.fromMe && message.message) {
          this.counts.messagesReceived++
          this.dirty = true
        }
      }
    }
    const history = events['messaging-history.set']
    for (const contact of [...(events['contacts.upsert'] ?? []), ...(history?.contacts ?? [])]) {
      if (isPerson(contact.id)) this.add(this.contacts, 'contacts', contact.id)
    }
    for (const chat of [...(events['chats.upsert'] ?? []), ...(history?.chats ?? [])]) {
      this.add(this.chats, 'chats', chat.id)
      if (isGroup(chat.id)) this.add(this.groups, 'groups', chat.id)
    }
    for (const id of events['chats.delete'] ?? []) this.remove(this.chats, 'chats', id)
    for (const group of events['groups.upsert'] ?? []) this.add(this.groups, 'groups', group.id)
  }
}
