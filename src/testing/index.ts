// 'wafleet/testing': tools to test wafleet and apps built on it without a phone.

export { createMockSocketFactory, MockSocket, MockDisconnectError } from './mock-socket.js'
export type { MockSocketFactory, MockSocketFactoryOptions, ReceiveTextInput, SentMessage } from './mock-socket.js'
