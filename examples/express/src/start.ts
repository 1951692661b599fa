import { createSafeLogger, SessionManager, type Logger, type Plugin } from 'wafleet'
import { metrics } from 'wafleet/plugins/metrics'
import { proxy } from 'wafleet/plugins/proxy'
import { webhooks } from 'wafleet/plugins/webhooks'
import { createGateway, type Gateway } from './app.js'
import { createAuthenticator, ensureAdminKey } from './auth/authenticator.js'
import type { GatewayConfig } from './config.js'
import { createDemoWorld, type DemoWorld } from './demo.js'
import { openDatabase } from './store/open.js'

export interface RunningGateway extends Gateway {
  manager: SessionManager
  demo: DemoWorld | null
  /** The admin key generated on this first start (print it once), else null. */
  generatedAdminKey: string | null
  storageDescription: string
  /** Ends event streams, stops the manager (sessions keep their credentials) and closes the database. */
  stop(): Promise<void>
}

/**
 * Everything but the HTTP listener: database, admin key, plugins, manager (restoring the sessions
 * that were running), demo world and the Express app. `server.ts` listens; tests call this directly.
 */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const safeLogger = createSafeLogger(logger)
  const db = await openDatabase(config, (error) => safeLogger.warn({ err: error }, 'idle database connection failed'))
  let demo: DemoWorld | null = null
  try {
    const { adminKeyHash, generated } = await ensureAdminKey(db.store, config.adminKey)
    const authenticator = createAuthenticator(db.store, { adminKeyHash })
    // Demo mode: the loopback WhatsApp simulator, saved in the data directory between runs.
    demo = config.demo ? await createDemoWorld({ dataDir: config.dataDir, logger: safeLogger.child({ component: 'demo-whatsapp' }) }) : null
    const plugins: Plugin[] = [
      webhooks({ blockPrivateNetworks: config.blockPrivateNetworks }),
      // A proxy is checked against WhatsApp before it is accepted; the offline demo has no WhatsApp to reach.
      proxy({ check: !config.demo }),
      metrics(),
    ]
    const manager = new SessionManager({
      storage: db.storage,
      logger: safeLogger,
      plugins,
      ...demo?.managerOptions,
      ...(config.encryptionKey ? { encryption: { keys: { k1: config.encryptionKey }, current: 'k1' } } : {}),
      // Callers must not make the gateway fetch internal services as "media".
      blockPrivateNetworks: config.blockPrivateNetworks,
      // Cards and webhooks see counts change within a second instead of the SDK's default ten.
      statsFlushMs: 1_000,
    })
    await manager.start()
    const detachDemo = demo?.attach(manager)
    // Tokens go with their session, however it was deleted.
    const onDeleted = ({ sessionId }: { sessionId: string }) =>
      void authenticator.revokeSession(sessionId).catch((error: unknown) => safeLogger.error({ err: error, sessionId }, 'could not revoke session tokens'))
    manager.on('session.deleted', onDeleted)
    const gateway = createGateway({
      manager,
      authenticator,
      store: db.store,
      config,
      logger: safeLogger,
      demo,
      startedAt: Date.now(),
    })
    return {
      ...gateway,
      manager,
      demo,
      generatedAdminKey: generated,
      storageDescription: db.description,
      async stop() {
        gateway.closeStreams()
        detachDemo?.()
        manager.off('session.deleted', onDeleted)
        try {
          await manager.stop()
        } finally {
          await demo?.close()
          await db.close()
        }
      },
    }
  } catch (error) {
    // The demo's simulator listens on its own ports: it must not outlive a failed start.
    await demo?.close().catch(() => undefined)
    await db.close().catch(() => undefined)
    throw error
  }
}
