/**
 * The JSON a receiver gets. Baileys payloads hold bytes (media keys, thumbnails) and protobuf
 * `Long` numbers (timestamps), which plain `JSON.stringify` turns into megabytes of digit arrays
 * or `{ low, high, unsigned }`. They are written the same way every time:
 *
 * - `Uint8Array` / `Buffer` → `{ "type": "Buffer", "data": "<base64>" }` (Baileys' `BufferJSON`
 *   format, so `JSON.parse(body, BufferJSON.reviver)` gives the bytes back);
 * - `Long` and `bigint` → a number when it is a safe integer, else a decimal string;
 * - `Date` → ISO-8601 string; `undefined` and functions are left out, as JSON does.
 */

interface LongLike {
  low: number
  high: number
  unsigned: boolean
}

const isLong = (value: unknown): value is LongLike =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as LongLike).low === 'number' &&
  typeof (value as LongLike).high === 'number' &&
  typeof (value as LongLike).unsigned === 'boolean'

function integer(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
}

function longValue({ low, high, unsigned }: LongLike): number | string {
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)
  return integer(unsigned ? bits : BigInt.asIntN(64, bits))
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `this[key]` is the value before `toJSON` ran (Buffer.toJSON makes a digit array).
  const raw = this[key]
  if (raw instanceof Uint8Array) return { type: 'Buffer', data: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }
  if (typeof raw === 'bigint') return integer(raw)
  if (isLong(raw)) return longValue(raw)
  return value
}

/** `data` as deterministic JSON text (see above). */
export function serializeData(data: unknown): string {
  return JSON.stringify(data, replacer) ?? 'null'
}

export interface WebhookEnvelope {
  /** The delivery id, also sent as `X-Wafleet-Delivery`; the same on every retry. */
  id: string
  event: string
  sessionId: string
  tenantId: string | null
  /** When the event happened, ms since the epoch. */
  timestamp: number
  data: unknown
}

/** The body of one delivery; `dataJson` is serialized once and shared by every endpoint of an event. */
export function buildBody(envelope: Omit<WebhookEnvelope, 'data'>, dataJson: string): string {
  const { id, event, sessionId, tenantId, timestamp } = envelope
  return `{"id":${JSON.stringify(id)},"event":${JSON.stringify(event)},"sessionId":${JSON.stringify(sessionId)},"tenantId":${JSON.stringify(tenantId)},"timestamp":${timestamp},"data":${dataJson}}`
}
