/**
 * Real Signal sessions on the adapters: two Baileys signal repositories, each backed by
 * useStorageAuthState over the adapter (keys wrapped by addTransactionCapability as the socket
 * does), establish a session from a pre-key bundle and exchange hundreds of messages both ways, 1:1
 * and in a group (sender keys). Then both sides are rebuilt from storage, as after a restart, and
 * the conversation goes on without re-establishing anything.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addTransactionCapability, generateSignalPubKey, getNextPreKeys, type SignalKeyStoreWithTransaction } from '@whiskeysockets/baileys'
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js'
import { pino } from 'pino'
import { afterAll, describe, expect, test } from 'vitest'
import { createMemoryBacking, createMemoryStorage, useStorageAuthState, type StorageAdapter } from '../../src/index.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'
import { describePostgres, dropSchema, uniqueSchemaName } from '../helpers/postgres.js'

const logger = pino({ level: 'silent' })
const GROUP = '120363000000000001@g.us'

interface Party {
  name: string
  jid: string
  storage: StorageAdapter
  auth: Awaited<ReturnType<typeof useStorageAuthState>>
  keys: SignalKeyStoreWithTransaction
  repo: ReturnType<typeof makeLibSignalRepository>
}

async function party(open: () => StorageAdapter, name: string, jid: string): Promise<Party> {
  const storage = open()
  const auth = await useStorageAuthState(storage, name)
  // What an app does on the socket's first creds.update: fresh credentials are persisted.
  await auth.saveCreds()
  const keys = addTransactionCapability(auth.state.keys, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
  const repo = makeLibSignalRepository({ creds: auth.state.creds, keys }, logger)
  return { name, jid, storage, auth, keys, repo }
}

async function close(p: Party) {
  p.repo.close?.()
  await p.storage.close()
}

/** Bob publishes pre-keys (as the socket uploads them) and Alice builds a session from his bundle. */
async function establish(alice: Party, bob: Party) {
  const { update, preKeys } = await getNextPreKeys({ creds: bob.auth.state.creds, keys: bob.keys }, 30)
  Object.assign(bob.auth.state.creds, update)
  await bob.auth.saveCreds()
  const [preKeyId, preKey] = Object.entries(preKeys)[0]!
  const creds = bob.auth.state.creds
  await alice.repo.injectE2ESession({
    jid: bob.jid,
    session: {
      registrationId: creds.registrationId,
      identityKey: generateSignalPubKey(creds.signedIdentityKey.public),
      signedPreKey: {
        keyId: creds.signedPreKey.keyId,
        publicKey: generateSignalPubKey(creds.signedPreKey.keyPair.public),
        signature: creds.signedPreKey.signature,
      },
      preKey: { keyId: Number(preKeyId), publicKey: generateSignalPubKey(preKey.public) },
    },
  })
  return preKeyId
}

let counter = 0
async function send(from: Party, to: Party) {
  const text = Buffer.from(`${from.name} -> ${to.name} #${++counter} ${'·'.repeat(counter % 50)}`)
  const { type, ciphertext } = await from.repo.encryptMessage({ jid: to.jid, data: text })
  const plain = await to.repo.decryptMessage({ jid: from.jid, type, ciphertext })
  expect(Buffer.from(plain).toString()).toBe(text.toString())
  return type
}

async function sendToGroup(from: Party, to: Party, distribute: boolean) {
  const text = Buffer.from(`${from.name} in group #${++counter}`)
  const { ciphertext, senderKeyDistributionMessage } = await from.repo.encryptGroupMessage({ group: GROUP, meId: from.jid, data: text })
  if (distribute) {
    await to.repo.processSenderKeyDistributionMessage({
      item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: senderKeyDistributionMessage },
      authorJid: from.jid,
    })
  }
  const plain = await to.repo.decryptGroupMessage({ group: GROUP, authorJid: from.jid, msg: ciphertext })
  expect(Buffer.from(plain).toString()).toBe(text.toString())
}

/** Bursts in both directions, so ratchets turn both ways and skipped keys are exercised too. */
async function converse(alice: Party, bob: Party, rounds: number) {
  const types: string[] = []
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k <= i % 3; k++) types.push(await send(alice, bob))
    for (let k = 0; k <= (i + 1) % 3; k++) types.push(await send(bob, alice))
  }
  return types
}

async function roundTrip(open: () => StorageAdapter) {
  let alice = await party(open, 'alice', '5511900000001@s.whatsapp.net')
  let bob = await party(open, 'bob', '5511900000002@s.whatsapp.net')
  const usedPreKey = await establish(alice, bob)

  const firstTypes = await converse(alice, bob, 60)
  expect(firstTypes[0]).toBe('pkmsg')
  expect(firstTypes.length).toBeGreaterThanOrEqual(200)
  for (let i = 0; i < 60; i++) {
    await sendToGroup(alice, bob, i === 0)
    await sendToGroup(bob, alice, i === 0)
  }
  // The pre-key Alice used is consumed (deleted) on Bob's side.
  expect((await bob.storage.auth.getKeys('bob', 'pre-key', [usedPreKey])).size).toBe(0)

  // Restart both sides: new adapters, new auth states, new repositories, all from storage.
  await close(alice)
  await close(bob)
  alice = await party(open, 'alice', '5511900000001@s.whatsapp.net')
  bob = await party(open, 'bob', '5511900000002@s.whatsapp.net')

  const laterTypes = await converse(alice, bob, 30)
  // The sessions came back from storage: no new pre-key message was needed.
  expect(laterTypes.filter((t) => t === 'pkmsg')).toEqual([])
  // Sender keys came back too: no new distribution message is processed.
  for (let i = 0; i < 30; i++) {
    await sendToGroup(alice, bob, false)
    await sendToGroup(bob, alice, false)
  }
  await close(alice)
  await close(bob)
}

describe('Signal round trip over storage', () => {
  test('memory', async () => {
    const backing = createMemoryBacking()
    await roundTrip(() => createMemoryStorage({ backing }))
  }, 60_000)

  const dir = mkdtempSync(join(tmpdir(), 'wafleet-signal-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  test('SQLite', async () => {
    const filename = join(dir, 'signal.sqlite')
    await roundTrip(() => createSqliteStorage({ filename }))
  }, 60_000)
})

describePostgres('Signal round trip over storage: Postgres', (url) => {
  const schema = uniqueSchemaName('signal')
  afterAll(() => dropSchema(url, schema))
  test('Postgres', async () => {
    await roundTrip(() => createPostgresStorage({ connectionString: url, schema, maxConnections: 2 }))
  }, 60_000)
})
