import type { UserFacingSocketConfig, WAMessage } from '@whiskeysockets/baileys'
import { PluginError, ValidationError, WafleetError } from '../errors.js'
import type { AnyManagerEvent, SessionEventName } from '../events.js'
import type { Logger } from '../logger.js'
import type { SessionManager } from '../manager/session-manager.js'
import type { Session } from '../session/session.js'
import type { StorageAdapter } from '../storage/types.js'
import type {
  Plugin,
  PluginContext,
  PluginTeardown,
  SendNext,
  SendRequest,
  SendWrapper,
  SessionConfigInput,
  SessionValidator,
  SocketConfigHook,
} from './types.js'

type AnyListener = (event: AnyManagerEvent) => void | Promise<void>

interface Registered<T> {
  plugin: string
  value: T
}

/** Runs the plugins of one manager: their setup, their hooks in registration order, their teardown. */
export class PluginHost {
  private readonly listeners = new Map<string, Set<Registered<AnyListener>>>()
  private readonly socketHooks: Registered<SocketConfigHook>[] = []
  private readonly sendWrappers: Registered<SendWrapper>[] = []
  private readonly validators: Registered<SessionValidator>[] = []
  private readonly teardowns: Registered<PluginTeardown>[] = []

  constructor(
    private readonly logger: Logger,
    /** Where failures of plugin listeners are reported (the session's `session.error`). */
    private readonly onListenerError: (plugin: string, error: unknown, event: AnyManagerEvent) => void,
  ) {}

  async setup(plugins: readonly Plugin[], manager: SessionManager, storage: StorageAdapter): Promise<void> {
    const names = new Set<string>()
    for (const plugin of plugins) {
      if (!plugin || typeof plugin.name !== 'string' || typeof plugin.setup !== 'function') {
        throw new ValidationError('INVALID_CONFIG', 'A plugin must be an object with a name and a setup(ctx) function')
      }
      if (names.has(plugin.name)) {
        throw new ValidationError('INVALID_CONFIG', `Plugin "${plugin.name}" is registered twice`, { details: { plugin: plugin.name } })
      }
      names.add(plugin.name)
      let teardown: void | PluginTeardown
      try {
        teardown = await plugin.setup(this.contextFor(plugin.name, manager, storage))
      } catch (error) {
        // A plugin that cannot set up would silently not do its job (no webhooks, no proxy): refuse to start.
        await this.teardown()
        throw error instanceof WafleetError
          ? error
          : new PluginError('PLUGIN_ERROR', `Plugin "${plugin.name}" failed to set up`, { cause: error, details: { plugin: plugin.name } })
      }
      if (typeof teardown === 'function') this.teardowns.push({ plugin: plugin.name, value: teardown })
    }
  }

  private contextFor(plugin: string, manager: SessionManager, storage: StorageAdapter): PluginContext {
    const subscribe = (event: string, listener: AnyListener) => {
      let set = this.listeners.get(event)
      if (!set) this.listeners.set(event, (set = new Set()))
      const entry = { plugin, value: listener }
      set.add(entry)
      return () => void set.delete(entry)
    }
    return {
      manager,
      storage,
      logger: this.logger.child({ plugin }),
      on: (event, listener) => subscribe(event, listener as unknown as AnyListener),
      onAny: (listener) => subscribe('*', listener),
      socketConfig: (hook) => void this.socketHooks.push({ plugin, value: hook }),
      wrapSend: (wrapper) => void this.sendWrappers.push({ plugin, value: wrapper }),
      validateSession: (validator) => void this.validators.push({ plugin, value: validator }),
      expose: (name, api) => {
        if (name in manager) {
          throw new ValidationError('INVALID_CONFIG', `Plugin "${plugin}" cannot expose "${name}": the manager already has it`)
        }
        Object.defineProperty(manager, name, { value: api, enumerable: true, configurable: true })
      },
    }
  }

  hasListeners(event: SessionEventName): boolean {
    return Boolean(this.listeners.get(event)?.size || this.listeners.get('*')?.size)
  }

  /** Delivers an event to plugin listeners and waits for them; failures are reported, never thrown. */
  async publish(event: AnyManagerEvent): Promise<void> {
    const targets = [...(this.listeners.get(event.event) ?? []), ...(this.listeners.get('*') ?? [])]
    await Promise.all(
      targets.map(async ({ plugin, value }) => {
        try {
          await value(event)
        } catch (error) {
          this.onListenerError(plugin, error, event)
        }
      }),
    )
  }

  async socketConfig(session: Session, config: UserFacingSocketConfig): Promise<UserFacingSocketConfig> {
    let current = config
    for (const { value } of this.socketHooks) current = (await value(session, current)) ?? current
    return current
  }

  /** Runs `send` through every wrapper, the first registered outermost. */
  send(request: SendRequest, send: SendNext): Promise<WAMessage> {
    const chain = this.sendWrappers.reduceRight<SendNext>((next, { value }) => () => value(request, next), send)
    return chain()
  }

  async validate(input: SessionConfigInput, context: { sessionId: string | undefined; tenantId: string | null }): Promise<void> {
    for (const { value } of this.validators) await value(input, context)
  }

  async teardown(): Promise<void> {
    const errors: unknown[] = []
    for (const { plugin, value } of this.teardowns.splice(0).reverse()) {
      try {
        await value()
      } catch (error) {
        this.logger.error({ err: error, plugin }, 'plugin teardown failed')
        errors.push(error)
      }
    }
    this.listeners.clear()
    this.socketHooks.length = 0
    this.sendWrappers.length = 0
    this.validators.length = 0
    if (errors.length) {
      throw new PluginError('PLUGIN_ERROR', `${errors.length} plugin teardown(s) failed`, { cause: errors[0] })
    }
  }
}
