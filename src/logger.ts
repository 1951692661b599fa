import { pino } from 'pino'

type LogFn = {
  (obj: unknown, msg?: string, ...args: unknown[]): void
  (msg: string, ...args: unknown[]): void
}

/**
 * The logger wafleet accepts: pino, or anything with the same methods. It is assignable to Baileys'
 * `ILogger`, so the same object (a child of it) is handed to every Baileys socket.
 */
export interface Logger {
  level: string
  child(bindings: Record<string, unknown>): Logger
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal?: LogFn
}

/** Keys whose values never reach a log line, at any depth. Matched case-insensitively. */
const SECRET_KEYS = [
  'creds',
  'keys',
  'password',
  'secret',
  'token',
  'apikey',
  'api_key',
  'authorization',
  'cookie',
  'private',
  'privkey',
  'noisekey',
  'signedidentitykey',
  'signedprekey',
  'advsecretkey',
  'pairingephemeralkeypair',
  'identitykey',
  'keypair',
  'encryptionkey',
  'hmac',
  'qr',
]
const SECRET_PATTERN = new RegExp(`^(${SECRET_KEYS.join('|')})$|password|secret|token|privkey|private`, 'i')
const URL_CREDENTIALS = /\/\/([^/@\s:]+):([^/@\s]+)@/g
const MAX_DEPTH = 6

export const REDACTED = '[redacted]'

/** Drops user:password from URLs inside a string (proxy and database URLs end up in messages). */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, `//$1:${REDACTED}@`)
}

/** A copy of `value` with secret-looking fields replaced; used on every object that reaches a log. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value)
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactUrlCredentials(value.message) }
    if ((value as { code?: unknown }).code !== undefined) out.code = (value as { code?: unknown }).code
    if (value.stack) out.stack = redactUrlCredentials(value.stack)
    return out
  }
  if (value instanceof Uint8Array) return `[${value.length} bytes]`
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen))
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_PATTERN.test(key) ? REDACTED : redact(inner, depth + 1, seen)
  }
  return out
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }
type LogMethod = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/**
 * Wraps any pino-compatible logger so that objects are redacted before they reach it. Baileys logs
 * node and key material at trace level; the level check comes first so disabled levels cost nothing.
 */
export function createSafeLogger(target: Logger): Logger {
  const enabled = (method: string) => (LEVELS[method] ?? 0) >= (LEVELS[target.level] ?? LEVELS.info!)
  const wrap =
    (method: LogMethod): LogFn =>
    (first: unknown, ...rest: unknown[]) => {
      const fn = target[method] ?? target.error
      if (!enabled(method)) return
      const args = [redact(first), ...rest.map((arg) => redact(arg))]
      ;(fn as (...a: unknown[]) => void).apply(target, args)
    }
  const safe: Logger = {
    get level() {
      return target.level
    },
    set level(level: string) {
      target.level = level
    },
    child: (bindings) => createSafeLogger(target.child(redact(bindings) as Record<string, unknown>)),
    trace: wrap('trace'),
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    fatal: wrap('fatal'),
  }
  return safe
}

/**
 * The default logger: pino to stdout at `WAFLEET_LOG_LEVEL` (default `info`), with pino's own
 * redaction as a second line of defence.
 */
export function createDefaultLogger(): Logger {
  return pino({
    name: 'wafleet',
    level: process.env.WAFLEET_LOG_LEVEL ?? 'info',
    redact: { paths: ['*.password', '*.secret', '*.token', '*.creds', '*.headers.authorization'], censor: REDACTED },
  }) as unknown as Logger
}

/** A logger that discards everything; handy in tests. */
export function createSilentLogger(): Logger {
  const noop = () => undefined
  const silent: Logger = { level: 'silent', child: () => silent, trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop }
  return silent
}
