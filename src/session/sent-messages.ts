import { proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys'
import { toStorageError, type WafleetError } from '../errors.js'
import type { MessageRepository } from '../storage/types.js'

/**
 * What a session sent, kept (bounded) so Baileys' `getMessage` can re-send it when a recipient
 * asks for a retry. Stored as protobuf bytes; a miss is `undefined`, as Baileys expects.
 */
export class SentMessages {
  constructor(
    private readonly sessionId: string,
    private readonly repository: MessageRepository,
    private readonly limit: number,
    private readonly report: (error: WafleetError) => Promise<void>,
  ) {}

  async remember(message: WAMessage): Promise<void> {
    if (!message.message || !message.key.id) return
    try {
      await this.repository.put(
        this.sessionId,
        [{ id: message.key.id, remoteJid: message.key.remoteJid ?? '', message: proto.Message.encode(message.message).finish(), timestamp: Date.now() }],
        this.limit,
      )
    } catch (error) {
      // The message is already on its way: failing the send would make callers send it twice.
      await this.report(toStorageError(error, 'messages.put'))
    }
  }

  async get(key: WAMessageKey): Promise<proto.IMessage | undefined> {
    if (!key.id) return undefined
    let stored
    try {
      stored = await this.repository.get(this.sessionId, key.id)
    } catch (error) {
      const wrapped = toStorageError(error, 'messages.get')
      await this.report(wrapped)
      throw wrapped
    }
    return stored ? proto.Message.decode(stored.message) : undefined
  }
}
