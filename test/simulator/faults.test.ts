// Faults on demand: each ends the real socket with the status code Baileys derives from it.
import { describe, expect, it } from 'vitest'
import { connect, openPaired, simulatorPerTest, until } from './harness.js'

const PHONE = '5511999990001'
const newSimulator = simulatorPerTest()

describe('faults', () => {
  it('restart-required: 515, and the same creds log in again', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await sim.fault(PHONE, 'restart-required')
    expect(await client.closed).toEqual({ code: 515, message: 'Stream Errored (restart required)' })
    await connect(sim, client.auth).opened
  })

  it('logged-out: 401 device_removed, and the creds are refused from then on', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await sim.fault(client.auth.state.creds.me!.id, 'logged-out')
    expect(await client.closed).toEqual({ code: 401, message: 'Stream Errored (conflict)' })
    expect(sim.devices()).toEqual([])
    expect(await connect(sim, client.auth).closed).toEqual({ code: 401, message: 'Connection Failure' })
  })

  it('sock.logout() unlinks the device: 401, and the creds are refused afterwards', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await client.sock.logout()
    expect(await client.closed).toEqual({ code: 401, message: 'Intentional Logout' })
    await until(() => sim.devices().length === 0)
    expect(await connect(sim, client.auth).closed).toEqual({ code: 401, message: 'Connection Failure' })
  })

  it('conflict: 440 replaced', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await sim.fault(PHONE, 'conflict')
    expect(await client.closed).toEqual({ code: 440, message: 'Stream Errored (conflict)' })
  })

  it('a second login with the same creds replaces the first, which gets 440', async () => {
    const sim = await newSimulator()
    const first = await openPaired(sim, PHONE)
    const second = connect(sim, first.auth)
    await second.opened
    expect(await first.closed).toEqual({ code: 440, message: 'Stream Errored (conflict)' })
    expect(sim.devices()).toEqual([expect.objectContaining({ connected: true })])
  })

  it('drop: the connection is cut, 428', async () => {
    const sim = await newSimulator()
    const client = await openPaired(sim, PHONE)
    await sim.fault(PHONE, 'drop')
    expect(await client.closed).toEqual({ code: 428, message: 'Connection Terminated' })
    await until(() => !sim.devices()[0]!.connected)
  })

  it('keep-alive pings keep an idle socket open; stop-pong ends it with 408 after keepAliveIntervalMs + 5 s', async () => {
    const sim = await newSimulator()
    const keepAliveIntervalMs = 500
    const client = await openPaired(sim, PHONE, { keepAliveIntervalMs })
    // Longer than Baileys' limit without traffic (interval + 5 s): only the answered pings keep it open.
    await new Promise((resolve) => setTimeout(resolve, keepAliveIntervalMs + 5_500))
    expect(client.updates.some((update) => update.connection === 'close')).toBe(false)

    const silentSince = Date.now()
    await sim.fault(PHONE, 'stop-pong')
    expect(await client.closed).toEqual({ code: 408, message: 'Connection was lost' })
    expect(Date.now() - silentSince).toBeGreaterThanOrEqual(5_000)
  }, 20_000)

  it('refuses unknown faults and targets without a live connection', async () => {
    const sim = await newSimulator()
    await expect(sim.fault(PHONE, 'restart-required')).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' })
    await expect(sim.fault(PHONE, 'meteor' as never)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' })
  })
})
