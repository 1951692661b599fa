import { describe, expectTypeOf, it } from 'vitest'
import { SessionManager } from '../../src/index.js'
import type { MetricsApi } from '../../src/plugins/metrics/index.js'
import type { WebhookDelivery, WebhooksApi } from '../../src/plugins/webhooks/index.js'

describe('plugin APIs on the manager', () => {
  it('are typed once the plugin entries are imported', () => {
    const manager = new SessionManager()
    expectTypeOf(manager.webhooks).toEqualTypeOf<WebhooksApi>()
    expectTypeOf(manager.webhooks.deliveries).returns.resolves.toEqualTypeOf<WebhookDelivery[]>()
    expectTypeOf(manager.metrics).toEqualTypeOf<MetricsApi>()
  })
})
