// Public API of 'wafleet/plugins/metrics'.
import type { MetricsApi } from './plugin.js'

export { metrics } from './plugin.js'
export type { MetricsOptions, MetricsApi } from './plugin.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Wafleet {
    interface PluginApis {
      /** The Prometheus registry and its text; present once the `metrics()` plugin is installed. */
      readonly metrics: MetricsApi
    }
  }
}
