// Public API of 'wafleet/plugins/metrics'.
import type { MetricsApi } from './plugin.js'

export { metrics } from './plugin.js'
export type { MetricsOptions, MetricsApi } from './plugin.js'

declare module '../../manager/session-manager.js' {
  interface SessionManager {
    /** The Prometheus registry and its text; present once the `metrics()` plugin is installed. */
    readonly metrics: MetricsApi
  }
}
