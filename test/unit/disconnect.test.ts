import { describe, expect, it } from 'vitest'
import { classifyDisconnect } from '../../src/index.js'
import { MockDisconnectError } from '../../src/testing/index.js'

const close = (code: number, message = 'x') => classifyDisconnect(new MockDisconnectError(message, code))

describe('disconnect classification (SPEC capability 4)', () => {
  it.each([
    [515, 'restart', 'restart_required'],
    [401, 'logged_out', 'logged_out'],
    [440, 'replaced', 'connection_replaced'],
    [405, 'outdated', 'outdated_version'],
    [403, 'terminal', 'forbidden'],
    [411, 'terminal', 'multidevice_mismatch'],
    [428, 'backoff', 'connection_closed'],
    [408, 'backoff', 'connection_lost'],
    [500, 'backoff', 'bad_session'],
    [503, 'backoff', 'service_unavailable'],
    [599, 'backoff', 'connection_error'],
  ])('%i → %s', (code, action, reason) => {
    expect(close(code)).toMatchObject({ action, reason, code })
  })

  it('tells a QR nobody scanned from a lost connection (both 408)', () => {
    expect(close(408, 'QR refs attempts ended')).toMatchObject({ action: 'qr_timeout', reason: 'qr_timeout' })
    expect(close(408, 'Connection was lost')).toMatchObject({ action: 'backoff' })
  })

  it('an end without error is our own stop; an error without a code backs off', () => {
    expect(classifyDisconnect(undefined)).toMatchObject({ action: 'intentional', code: null })
    expect(classifyDisconnect(new Error('WebSocket Error (ECONNREFUSED)'))).toMatchObject({ action: 'backoff', code: null })
  })
})
