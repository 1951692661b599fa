import type { Logger } from '../../src/index.js'

export interface CapturedLine {
  level: string
  bindings: Record<string, unknown>
  args: unknown[]
}

/** A pino-compatible logger that keeps every line (with its child bindings) for assertions. */
export function createCaptureLogger(level = 'trace'): { logger: Logger; lines: CapturedLine[]; text(): string } {
  const lines: CapturedLine[] = []
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (lvl: string) => (...args: unknown[]) => void lines.push({ level: lvl, bindings, args })
    return {
      level,
      child: (more) => make({ ...bindings, ...more }),
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
    }
  }
  return { logger: make({}), lines, text: () => JSON.stringify(lines) }
}
