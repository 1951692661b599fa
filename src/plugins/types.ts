import type { AnyMessageContent, MiscMessageGenerationOptions, UserFacingSocketConfig, WAMessage } from '@whiskeysockets/baileys'
import type { AnyManagerEvent, ManagerEnvelope, SessionEventName } from '../events.js'
import type { Logger } from '../logger.js'
import type { SessionManager } from '../manager/session-manager.js'
import type { Session } from '../session/session.js'
import type { RateLimitConfig, StorageAdapter, StoredProxyConfig, StoredWebhookEndpoint } from '../storage/types.js'

/** One outgoing message on its way to Baileys. */
export interface SendRequest {
  readonly session: Session
  readonly jid: string
  readonly content: AnyMessageContent
  readonly options: MiscMessageGenerationOptions | undefined
}

export type SendNext = () => Promise<WAMessage>

/** Wraps every send of every session (rate limiting, metrics, auditing). Must call `next` at most once. */
export type SendWrapper = (request: SendRequest, next: SendNext) => Promise<WAMessage>

/**
 * Adjusts the Baileys config of a session before each socket is built (proxy agents, browser, ...).
 * Return a new config (or mutate and return nothing). Throwing fails that connection attempt.
 */
export type SocketConfigHook = (
  session: Session,
  config: UserFacingSocketConfig,
) => UserFacingSocketConfig | void | Promise<UserFacingSocketConfig | void>

/** The user-editable parts of a session that plugins may validate. */
export interface SessionConfigInput {
  webhooks?: StoredWebhookEndpoint[]
  proxy?: StoredProxyConfig | null
  rateLimit?: RateLimitConfig | null
  metadata?: Record<string, unknown>
}

/** Checks (and may normalize in place) a session's config on create and update; throws a `WafleetError` to refuse it. */
export type SessionValidator = (
  input: SessionConfigInput,
  context: { sessionId: string | undefined; tenantId: string | null },
) => void | Promise<void>

export interface PluginContext {
  readonly manager: SessionManager
  readonly storage: StorageAdapter
  /** A child logger bound to the plugin's name. */
  readonly logger: Logger
  /**
   * Listens to one event of every session. Async listeners are awaited before the call that
   * emitted the event returns, so a durable plugin (the webhook outbox) never loses one.
   */
  on<E extends SessionEventName>(event: E, listener: (event: ManagerEnvelope<E>) => void | Promise<void>): () => void
  /** Listens to every event of every session. Same delivery guarantees as `on`. */
  onAny(listener: (event: AnyManagerEvent) => void | Promise<void>): () => void
  socketConfig(hook: SocketConfigHook): void
  wrapSend(wrapper: SendWrapper): void
  validateSession(validator: SessionValidator): void
  /** Publishes an API on the manager, e.g. `manager.webhooks`. Names must not clash with the manager's own members. */
  expose(name: string, api: unknown): void
}

export type PluginTeardown = () => void | Promise<void>

/** A plugin is a plain object, usually made by a factory function: `webhooks({...})`, `proxy()`. */
export interface Plugin {
  readonly name: string
  setup(context: PluginContext): void | PluginTeardown | Promise<void | PluginTeardown>
}

declare global {
  // A global namespace is the one augmentation target that resolves the same from src/ and from the
  // bundled .d.ts files (whose chunk paths are not stable), so it is how plugins type `ctx.expose`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Wafleet {
    /**
     * The APIs plugins publish on the manager with `ctx.expose`, by name. A plugin's entry adds
     * its own, e.g. `interface PluginApis { readonly webhooks: WebhooksApi }`.
     */
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface PluginApis {}
  }
}
