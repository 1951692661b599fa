/**
 * CPU time of other processes, from /proc (Linux): what a benchmark's receiver or database spends,
 * beside `process.cpuUsage()` of the benchmark itself. In ticks of 1/100 s (USER_HZ).
 */
import { readdirSync, readFileSync } from 'node:fs'

export const TICK_US = 10_000

/** utime + stime of one process (all its threads), or null once it has ended. */
function ticksOf(pid: string | number): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return null
  }
}

export function pidTicks(pid: number): number {
  return ticksOf(pid)?.ticks ?? 0
}

/** Every running postgres process (a backend that ended since is not counted: measure before closing pools). */
export function postgresTicks(): number {
  let ticks = 0
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const stat = ticksOf(pid)
    if (stat?.comm === 'postgres') ticks += stat.ticks
  }
  return ticks
}
