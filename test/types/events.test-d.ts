import type { WASocket, WAMessage } from '@whiskeysockets/baileys'
import { describe, expectTypeOf, it } from 'vitest'
import type { ManagerEnvelope, SessionInfo, SessionManager, SessionQrEvent, SessionStatusEvent, WASocketLike, AnyManagerEvent } from '../../src/index.js'
import type { Session } from '../../src/index.js'

describe('event map types', () => {
  it('types manager listeners with sessionId, tenantId and the payload', () => {
    const manager = {} as SessionManager
    manager.on('messages.upsert', (event) => {
      expectTypeOf(event.sessionId).toEqualTypeOf<string>()
      expectTypeOf(event.tenantId).toEqualTypeOf<string | null>()
      expectTypeOf(event.data.messages).toEqualTypeOf<WAMessage[]>()
    })
    manager.on('session.qr', (event) => expectTypeOf(event).toEqualTypeOf<ManagerEnvelope<'session.qr'>>())
    manager.on('session.created', (event) => expectTypeOf(event.data).toEqualTypeOf<SessionInfo>())
    manager.on('*', (event) => expectTypeOf(event).toEqualTypeOf<AnyManagerEvent>())
    // @ts-expect-error credentials never travel in events
    manager.on('creds.update', () => undefined)
    // @ts-expect-error unknown events are rejected
    manager.on('message.upsert', () => undefined)
  })

  it('types session listeners with the bare payload', () => {
    const session = {} as Session
    session.on('session.status', (data) => expectTypeOf(data).toEqualTypeOf<SessionStatusEvent>())
    session.on('session.qr', (data) => expectTypeOf(data).toEqualTypeOf<SessionQrEvent>())
    session.on('group-participants.update', (data) => expectTypeOf(data.action).toEqualTypeOf<'add' | 'remove' | 'promote' | 'demote' | 'modify'>())
  })

  it("Baileys' real socket satisfies the socket port", () => {
    expectTypeOf<WASocket>().toMatchTypeOf<WASocketLike>()
  })
})
