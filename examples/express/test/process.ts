import { spawn, type ChildProcess } from 'node:child_process'

export interface Spawned {
  child: ChildProcess
  /** Everything written to stdout and stderr so far. */
  output(): string
  /** Resolves with the first match of `pattern` in the output (already written or coming). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Resolves with the exit code. */
  exited(timeoutMs?: number): Promise<number | null>
}

/** Runs a TypeScript entry as users do (`node --import tsx <file>`), with its output captured. */
export function spawnTs(file: string, options: { cwd: string; env?: Record<string, string>; args?: string[] }): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', WAFLEET_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  const listeners = new Set<() => void>()
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8')
    for (const listener of [...listeners]) listener()
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    output: () => text,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text)
          if (!match) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve(match)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`${pattern} not seen within ${timeoutMs} ms; output:\n${text}`))
        }, timeoutMs)
        listeners.add(check)
        check()
        void exit.then(() => {
          if (listeners.has(check)) {
            clearTimeout(timer)
            listeners.delete(check)
            reject(new Error(`exited before ${pattern}; output:\n${text}`))
          }
        })
      })
    },
    exited(timeoutMs = 15_000) {
      return Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms; output:\n${text}`)), timeoutMs).unref())])
    },
  }
}
