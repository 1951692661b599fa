// A simulated primary device (device 0 of a phone number): the account owner's phone or a contact.
// It speaks Signal through Baileys' own libsignal repository (`DEFAULT_CONNECTION_CONFIG
// .makeSignalRepository`, i.e. `makeLibSignalRepository` over the `libsignal` package), so what the
// real socket decrypts was encrypted by the same library a phone-side peer would use.
import {
  addTransactionCapability,
  DEFAULT_CONNECTION_CONFIG,
  encodeWAMessage,
  generateSignalPubKey,
  getNextPreKeys,
  initAuthCreds,
  proto,
  signedKeyPair,
  unpadRandomMax16,
  type AuthenticationCreds,
  type KeyPair,
  type LIDMapping,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import type { Logger } from '../../logger.js'
import { createSerialQueue } from '../../util/serial.js'
import { fromJsonSafe, toJsonSafe } from './json-bytes.js'
import { withSharedAsyncContext } from '../../socket/shared-async-context.js'

type SignalRepository = ReturnType<typeof DEFAULT_CONNECTION_CONFIG.makeSignalRepository>

/** The key material a peer needs to open a Signal session with a device (an `encrypt` key bundle). */
export interface PreKeyBundle {
  registrationId: number
  identityKey: Uint8Array
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array }
  preKey?: { keyId: number; publicKey: Uint8Array }
}

/** A key store in a Map (`type\u0000id` -> value); the party's keys live as long as the simulator. */
function createMemoryKeyStore(values: Map<string, unknown>): SignalKeyStore {
  return {
    get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const id of ids) {
        const value = values.get(`${type}\u0000${id}`)
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T]
      }
      return found
    },
    set(data: SignalDataSet) {
      for (const [type, entries] of Object.entries(data)) {
        for (const [id, value] of Object.entries(entries ?? {})) {
          if (value === null || value === undefined) values.delete(`${type}\u0000${id}`)
          else values.set(`${type}\u0000${id}`, value)
        }
      }
    },
  }
}

/** A party's credentials and key store as JSON-safe data (`exportState`), to restore it later. */
export interface SignalPartyState {
  creds: unknown
  keys: unknown
}

/** A new party with its identity key pair (for an account's phone, also the ADV account signature key), or a saved one. */
export type SignalPartyOrigin = { identity: KeyPair; state?: undefined } | { state: SignalPartyState; identity?: undefined }

export type SignalPartyOptions = SignalPartyOrigin & {
  logger: Logger
  /** How the party learns a PN's LID, as Baileys' socket does through USync. */
  lookupLids: (pnJids: string[]) => LIDMapping[]
}

export class SignalParty {
  private readonly creds: AuthenticationCreds
  private readonly stored: Map<string, unknown>
  private readonly keys
  private readonly repository: SignalRepository
  // One operation at a time: opening a session and a decryption for the same device must not interleave.
  private readonly queue = createSerialQueue()

  constructor(options: SignalPartyOptions) {
    if (options.state) {
      this.creds = fromJsonSafe<AuthenticationCreds>(options.state.creds)
      this.stored = new Map(fromJsonSafe<[string, unknown][]>(options.state.keys))
    } else {
      const identity = options.identity
      this.creds = { ...initAuthCreds(), signedIdentityKey: identity, signedPreKey: signedKeyPair(identity, 1) }
      this.stored = new Map()
    }
    // One commit attempt: the store is a Map, a failure there is a bug and must surface at once.
    // Shared async context: one AsyncLocalStorage per party would slow the whole process (see socket/shared-async-context.ts).
    this.keys = withSharedAsyncContext(() =>
      addTransactionCapability(createMemoryKeyStore(this.stored), options.logger, { maxCommitRetries: 1, delayBetweenTriesMs: 0 }),
    )
    this.repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds: this.creds, keys: this.keys }, options.logger, async (jids) =>
      options.lookupLids(jids),
    )
  }

  /** The identity key pair (for an account's phone, also the ADV account signature key). */
  get identity(): KeyPair {
    return this.creds.signedIdentityKey
  }

  get identityPublic(): Buffer {
    return Buffer.from(this.creds.signedIdentityKey.public)
  }

  /** Credentials and Signal sessions as JSON-safe data, taken between two operations (never halfway through one). */
  exportState(): Promise<SignalPartyState> {
    return this.queue.run(async () => ({ creds: toJsonSafe(this.creds), keys: toJsonSafe([...this.stored]) }))
  }

  /** A bundle with a fresh one-time pre-key, as the server hands out for this party. */
  takeBundle(): Promise<PreKeyBundle> {
    return this.queue.run(async () => {
      const { update, preKeys } = await getNextPreKeys({ creds: this.creds, keys: this.keys }, 1)
      Object.assign(this.creds, update)
      const [id, pair] = Object.entries(preKeys).at(-1) ?? []
      const { signedPreKey } = this.creds
      return {
        registrationId: this.creds.registrationId,
        identityKey: this.identityPublic,
        signedPreKey: { keyId: signedPreKey.keyId, publicKey: Buffer.from(signedPreKey.keyPair.public), signature: Buffer.from(signedPreKey.signature) },
        ...(id && pair ? { preKey: { keyId: Number(id), publicKey: Buffer.from(pair.public) } } : {}),
      }
    })
  }

  /**
   * Encrypts a message for a device, first opening a session from `bundle()` when there is none.
   * The result is a `pkmsg` until the device has answered on that session, then `msg`.
   */
  encrypt(jid: string, message: proto.IMessage, bundle: () => PreKeyBundle): Promise<{ type: 'pkmsg' | 'msg'; ciphertext: Uint8Array }> {
    return this.queue.run(async () => {
      if (!(await this.repository.validateSession(jid)).exists) await this.openSession(jid, bundle())
      return this.repository.encryptMessage({ jid, data: encodeWAMessage(message) })
    })
  }

  decrypt(jid: string, type: 'pkmsg' | 'msg', ciphertext: Uint8Array): Promise<proto.Message> {
    return this.queue.run(async () => {
      const padded = await this.repository.decryptMessage({ jid, type, ciphertext })
      return proto.Message.decode(unpadRandomMax16(padded))
    })
  }

  private async openSession(jid: string, bundle: PreKeyBundle): Promise<void> {
    await this.repository.injectE2ESession({
      jid,
      session: {
        registrationId: bundle.registrationId,
        identityKey: generateSignalPubKey(bundle.identityKey),
        signedPreKey: { ...bundle.signedPreKey, publicKey: generateSignalPubKey(bundle.signedPreKey.publicKey) },
        // Baileys' .d.ts marks preKey required; libsignal accepts a bundle without one (none left).
        ...(bundle.preKey ? { preKey: { ...bundle.preKey, publicKey: generateSignalPubKey(bundle.preKey.publicKey) } } : {}),
      } as Parameters<SignalRepository['injectE2ESession']>[0]['session'],
    })
  }
}
