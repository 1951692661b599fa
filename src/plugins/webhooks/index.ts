// Public API of 'wafleet/plugins/webhooks'.
import type { WebhooksApi } from './api.js'

export { webhooks } from './plugin.js'
export type { WebhooksOptions } from './options.js'
export type { WebhookEndpoint } from './endpoint.js'
export type { RetryPolicy, RetryPolicyName } from './retry.js'
export { verifyWebhookSignature, signWebhook } from './signature.js'
export type { VerifyWebhookSignatureInput, WebhookHeaders } from './signature.js'
export { serializeData } from './payload.js'
export type { WebhookEnvelope } from './payload.js'
export type { WebhooksApi, WebhookDelivery, WebhookDeliveryQuery } from './api.js'
export { WEBHOOK_DELIVERY_CHANNEL } from '../diagnostics.js'
export type { WebhookDeliveryMessage } from '../diagnostics.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Wafleet {
    interface PluginApis {
      /** Delivery log and dead-letter redrive; present once the `webhooks()` plugin is installed. */
      readonly webhooks: WebhooksApi
    }
  }
}
