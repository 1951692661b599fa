import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { ConfigError, loadConfig } from './config.js'
import { startGateway } from './start.js'

/** `npm start` (real WhatsApp) or `npm run demo` (simulated): listens on PORT and stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig()
  const logger = pino({ level: config.logLevel })
  const gateway = await startGateway(config, logger)
  const server = gateway.app.listen(config.port, config.host)
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`

  if (gateway.generatedAdminKey) {
    // Printed once, to the terminal only (never to the log): only its hash is stored.
    process.stdout.write(
      `\n  Admin key (shown only now, store it safely):\n\n    ${gateway.generatedAdminKey}\n\n` +
        '  Set WAFLEET_ADMIN_KEY to choose your own; the generated one keeps working until you do.\n\n',
    )
  }
  process.stdout.write(`wafleet gateway listening on ${url} (${config.demo ? 'demo mode: simulated WhatsApp' : 'WhatsApp'}, ${gateway.storageDescription})\n`)
  logger.info({ port, demo: config.demo, storage: gateway.storageDescription }, 'gateway started')

  let stopping = false
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // Stop accepting; requests in flight finish; event streams and idle keep-alive sockets end now.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    gateway.closeStreams()
    server.closeIdleConnections()
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
    server.closeAllConnections()
    try {
      await gateway.stop()
      logger.info('stopped')
      process.exit(0)
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Could not start: ${error instanceof Error ? error.message : String(error)}`}\n`)
  process.exit(1)
})
