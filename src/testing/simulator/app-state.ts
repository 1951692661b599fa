// App state ("syncd"), per account: the server keeps each collection's patches, the phone holds
// the encryption key and shares it with every new device (APP_STATE_SYNC_KEY_SHARE). The phone
// writes one mutation itself, the push name (critical_block, setting_pushName), which is how a
// freshly linked Baileys learns `creds.me.name`; patches a device pushes (chatModify) are kept
// for the account's other devices. Patches are built with Baileys' own encodeSyncdPatch, so the
// MACs and LTHash are those a client verifies when `appStateMacVerification` is on.
import { randomBytes } from 'node:crypto'
import { encodeSyncdPatch, newLTHashState, proto, type BinaryNode, type LTHashState, type WAPatchName } from '@whiskeysockets/baileys'
import { fromJsonSafe, toJsonSafe } from './json-bytes.js'
import { child, childrenByTag, bytesOf, iqError, iqResult } from './nodes.js'

interface Collection {
  /** The phone's view of the collection, for the patches it encodes itself. */
  phoneState: LTHashState
  patches: proto.ISyncdPatch[]
}

/** An account's app state as JSON-safe data, to restore it later. */
export interface AppStateSnapshot {
  keyId: string
  keyData: unknown
  pushName: string | undefined
  /** Per collection: the phone's LTHash state and the patches, protobuf-encoded in base64. */
  collections: [string, { phoneState: unknown; patches: string[] }][]
}

export class AccountAppState {
  private readonly keyId: Buffer
  private readonly keyData: proto.Message.IAppStateSyncKeyData
  private readonly collections = new Map<string, Collection>()
  private pushName: string | undefined

  /** A new account's app state (a fresh key), or a saved one. */
  constructor(saved?: AppStateSnapshot) {
    if (!saved) {
      this.keyId = randomBytes(6)
      this.keyData = {
        keyData: randomBytes(32),
        fingerprint: { rawId: randomBytes(4).readUInt32BE(), currentIndex: 0, deviceIndexes: [0] },
        timestamp: Date.now(),
      }
      return
    }
    this.keyId = Buffer.from(saved.keyId, 'base64')
    this.keyData = fromJsonSafe(saved.keyData)
    this.pushName = saved.pushName
    for (const [name, { phoneState, patches }] of saved.collections) {
      this.collections.set(name, {
        phoneState: fromJsonSafe(phoneState),
        patches: patches.map((patch) => proto.SyncdPatch.decode(Buffer.from(patch, 'base64'))),
      })
    }
  }

  exportState(): AppStateSnapshot {
    return {
      keyId: this.keyId.toString('base64'),
      keyData: toJsonSafe(this.keyData),
      pushName: this.pushName,
      collections: [...this.collections].map(([name, { phoneState, patches }]) => [
        name,
        { phoneState: toJsonSafe(phoneState), patches: patches.map((patch) => Buffer.from(proto.SyncdPatch.encode(patch).finish()).toString('base64')) },
      ]),
    }
  }

  private collection(name: string): Collection {
    let collection = this.collections.get(name)
    if (!collection) this.collections.set(name, (collection = { phoneState: newLTHashState(), patches: [] }))
    return collection
  }

  version(name: string): number {
    return this.collections.get(name)?.patches.length ?? 0
  }

  /** The message with which the phone gives a new device the key to read the app state. */
  keyShare(): proto.IMessage {
    return {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: { keys: [{ keyId: { keyId: this.keyId }, keyData: this.keyData }] },
      },
    }
  }

  /** The phone sets the account's push name (a new mutation only when it changed). */
  async setPushName(name: string): Promise<void> {
    if (name === this.pushName) return
    this.pushName = name
    const collection = this.collection('critical_block')
    const { patch, state } = await encodeSyncdPatch(
      { type: 'critical_block', index: ['setting_pushName'], syncAction: { pushNameSetting: { name } }, apiVersion: 1, operation: proto.SyncdMutation.SyncdOperation.SET },
      this.keyId.toString('base64'),
      collection.phoneState,
      async () => this.keyData,
    )
    collection.phoneState = state
    collection.patches.push({ ...patch, version: { version: state.version } })
  }

  /**
   * `w:sync:app:state`: patches since the version the device holds, and patches it pushes.
   * Returns the reply and the collections that changed (the account's other devices must resync).
   */
  answer(node: BinaryNode): { reply: BinaryNode; changed: string[] } {
    const answers: BinaryNode[] = []
    const changed: string[] = []
    for (const request of childrenByTag(child(node, 'sync'), 'collection')) {
      const name = (request.attrs.name ?? '') as WAPatchName
      const held = Number(request.attrs.version ?? '0')
      const pushed = childrenByTag(request, 'patch')
      if (pushed.length) {
        // A device writes on top of the version it holds; another writer got there first: 409.
        if (held !== this.version(name)) return { reply: iqError(node, 409, 'conflict'), changed: [] }
        for (const patch of pushed) {
          const decoded = proto.SyncdPatch.decode(bytesOf(patch.content) ?? Buffer.alloc(0))
          this.collection(name).patches.push({ ...decoded, version: { version: this.version(name) + 1 } })
        }
        answers.push({ tag: 'collection', attrs: { name, version: String(this.version(name)) } })
        changed.push(name)
        continue
      }
      const patches = (this.collections.get(name)?.patches ?? []).slice(held)
      answers.push({
        tag: 'collection',
        attrs: { name, version: String(this.version(name)), has_more_patches: 'false' },
        ...(patches.length ? { content: [{ tag: 'patches', attrs: {}, content: patches.map((patch) => ({ tag: 'patch', attrs: {}, content: proto.SyncdPatch.encode(patch).finish() })) }] } : {}),
      })
    }
    return { reply: iqResult(node, [{ tag: 'sync', attrs: {}, content: answers }]), changed }
  }
}
