import { subscribe } from 'node:diagnostics_channel'
import { afterEach, beforeEach } from 'vitest'
import { WEBHOOK_DELIVERY_CHANNEL, type WebhookDeliveryMessage } from '../../../src/plugins/webhooks/index.js'
import { startReceiver, type Receiver } from './receiver.js'

/** Receivers started by a test file, closed after each test. */
export function receivers(): (reply?: Receiver['reply']) => Promise<Receiver> {
  const open: Receiver[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((receiver) => receiver.close()))
  })
  return async (reply) => {
    const receiver = await startReceiver(reply)
    open.push(receiver)
    return receiver
  }
}

/** Every delivery outcome the webhooks plugin reports (through its diagnostics channel). */
export function deliveryOutcomes(): { list: WebhookDeliveryMessage[]; waitFor(count: number): Promise<void> } {
  const list: WebhookDeliveryMessage[] = []
  const listener = (message: unknown) => list.push(message as WebhookDeliveryMessage)
  subscribe(WEBHOOK_DELIVERY_CHANNEL, listener)
  // Before each test, not after: closing receivers in afterEach makes in-flight attempts of the
  // previous test report late.
  beforeEach(() => {
    list.length = 0
  })
  return {
    list,
    async waitFor(count: number) {
      const guard = performance.now() + 10_000
      while (list.length < count) {
        if (performance.now() > guard) throw new Error(`saw ${list.length} delivery outcomes, expected ${count}`)
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
  }
}
