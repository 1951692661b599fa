import { describe, expect, it } from 'vitest'
import { createMemoryBacking, createMemoryStorage } from '../../src/index.js'
import { eventually, managedHarness, pairedSession } from '../helpers/manager.js'

const harness = managedHarness()
const k1 = Buffer.alloc(32, 1).toString('base64')
const k2 = Buffer.alloc(32, 2).toString('hex')

/** The key id an encrypted value was written with (format byte 0x02, length, id). */
const keyIdOf = (bytes: Uint8Array) => {
  expect(bytes[0]).toBe(0x02)
  return Buffer.from(bytes.subarray(2, 2 + bytes[1]!)).toString('utf8')
}

describe('encryption at rest through the manager', () => {
  it('encrypts creds and keys; a missing or wrong key fails loudly and never re-pairs; rotation keeps old data readable', async () => {
    const backing = createMemoryBacking()
    const first = await harness({ storage: createMemoryStorage({ backing }), encryption: { keys: { k1 }, current: 'k1' } })
    const s = await pairedSession(first, 'secret')
    await first.manager.stop()
    const stored = backing.creds.get(s.id)!
    expect(keyIdOf(stored)).toBe('k1')
    expect(Buffer.from(stored).toString('utf8')).not.toContain('noiseKey')

    const noKey = await harness({ storage: createMemoryStorage({ backing }) })
    expect(noKey.manager.get(s.id)).toMatchObject({ status: 'failed', error: expect.objectContaining({ code: 'ENCRYPTION_KEY_MISSING' }) })
    expect(noKey.mock.sockets(s.id)).toHaveLength(0)
    await noKey.manager.stop()

    const wrongKey = await harness({ storage: createMemoryStorage({ backing }), encryption: { keys: { k1: k2 }, current: 'k1' } })
    expect(wrongKey.manager.get(s.id)).toMatchObject({ status: 'failed', error: expect.objectContaining({ code: 'DECRYPTION_FAILED' }) })
    expect(wrongKey.mock.sockets(s.id)).toHaveLength(0)
    await wrongKey.manager.stop()
    expect(Buffer.compare(backing.creds.get(s.id)!, stored)).toBe(0)

    const rotated = await harness({ storage: createMemoryStorage({ backing }), encryption: { keys: { k1, k2 }, current: 'k2' } })
    const again = rotated.manager.get(s.id)!
    expect(again.status).toBe('connected')
    expect(rotated.mock.sockets(s.id)[0]!.qrs).toHaveLength(0)
    rotated.mock.socket(s.id)!.emit('creds.update', { accountSyncCounter: 1 })
    await eventually(() => expect(keyIdOf(backing.creds.get(s.id)!)).toBe('k2'))
  })

  it('rejects bad key configuration at construction', async () => {
    await expect(harness({ encryption: { keys: { k1: 'short' }, current: 'k1' } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
    await expect(harness({ encryption: { keys: { k1 }, current: 'k9' } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' })
  })
})
