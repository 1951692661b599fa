import type {
  AnyMessageContent,
  BaileysEventMap,
  Contact,
  MiscMessageGenerationOptions,
  UserFacingSocketConfig,
  WAMessage,
} from '@whiskeysockets/baileys'

/** The part of Baileys' event emitter wafleet uses. */
export interface SocketEvents {
  /** Batched, buffer-aware delivery of events, as Baileys recommends. Returns an unsubscribe function. */
  process(handler: (events: Partial<BaileysEventMap>) => void | Promise<void>): () => void
  on<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void
  off<T extends keyof BaileysEventMap>(event: T, listener: (arg: BaileysEventMap[T]) => void): void
  removeAllListeners<T extends keyof BaileysEventMap>(event: T): void
}

/**
 * The subset of Baileys' socket that a session uses. The real `makeWASocket` result satisfies it
 * (checked by a type test), and so does the mock from `wafleet/testing`.
 */
export interface WASocketLike {
  ev: SocketEvents
  user: Contact | undefined
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>
  requestPairingCode(phoneNumber: string, customPairingCode?: string): Promise<string>
  logout(msg?: string): Promise<void>
  /** Ends the connection; `undefined` means an intentional stop. Baileys destroys `ev` afterwards. */
  end(error: Error | undefined): void | Promise<void>
}

export interface SocketFactoryOptions {
  sessionId: string
  /** The full Baileys config: auth, logger, getMessage, caches, plugin adjustments (proxy agents, ...). */
  config: UserFacingSocketConfig
}

/** Builds one socket. Called for every (re)connection: a closed Baileys socket cannot be reused. */
export type SocketFactory = (options: SocketFactoryOptions) => WASocketLike | Promise<WASocketLike>
