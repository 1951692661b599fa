// 'wafleet/testing': tools to test wafleet and apps built on it without a phone.

export { createMockSocketFactory, MockSocket, MockDisconnectError } from './mock-socket.js'
export type { MockSocketFactory, MockSocketFactoryOptions, ReceiveTextInput, SentMessage } from './mock-socket.js'

export { runStorageConformance, STORAGE_CONFORMANCE_VERSION, BAILEYS_KEY_CATEGORIES, EDGE_CASE_IDS } from './conformance/index.js'
export type {
  StorageConformanceOptions,
  StorageInspector,
  FaultInjector,
  ConformanceContext,
  ConformanceTestFn,
  ConformanceDescribeFn,
  ConformanceExpect,
} from './conformance/index.js'

export { startWhatsAppSimulator, installSimulatorTrust, isSimulatorTrusted, simulatorRootPublicKey, SIMULATOR_FAULTS } from './simulator/index.js'
export type {
  WhatsAppSimulator,
  SimContact,
  WhatsAppSimulatorOptions,
  SimulatedDevice,
  PairOptions,
  SimulatorSnapshot,
  SimInboundMessage,
  SimMedia,
  SimMediaType,
  SimHistory,
  SimHistoryChat,
  InboundMatcher,
  PhoneSendResult,
  SimulatorFault,
  InstallTrustOptions,
} from './simulator/index.js'
