// Public API of 'wafleet/plugins/proxy'.
export { proxy } from './plugin.js'
export type { ProxyPluginOptions } from './plugin.js'
export { testProxy } from './test-proxy.js'
export type { TestProxyOptions, TestProxyResult } from './test-proxy.js'
export { resolveProxy } from './config.js'
export type { ProxyConfig, ProxyProtocol, ResolvedProxy } from './config.js'
