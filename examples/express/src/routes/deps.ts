import type { Logger, SessionManager } from 'wafleet'
import type { Authenticator } from '../auth/authenticator.js'
import type { GatewayConfig } from '../config.js'
import type { DemoWorld } from '../demo.js'
import type { GatewayStore } from '../store/gateway-store.js'

/** What route handlers work with. */
export interface GatewayDeps {
  manager: SessionManager
  authenticator: Authenticator
  store: GatewayStore
  config: Pick<GatewayConfig, 'demo' | 'maxUploadSize' | 'blockPrivateNetworks'>
  logger: Logger
  /** Present in demo mode only. */
  demo: DemoWorld | null
  startedAt: number
}
