import { assertBytes } from './records.js'
import type { AuthCommit } from './types.js'

/** An `AuthCommit` validated and flattened into the arrays set-based SQL wants. */
export interface StagedCommit {
  /** Parallel arrays, sorted by (category, id). */
  upserts: { categories: string[]; ids: string[]; values: Uint8Array[] }
  /** Ids to delete, by category; ids sorted. */
  deletes: Map<string, string[]>
  creds: Uint8Array | undefined
  fencingToken: bigint | undefined
}

const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Validates the whole batch before anything is written (a non-byte value anywhere rejects the batch),
 * and sorts rows so that concurrent batches touching the same keys lock them in the same order,
 * which keeps Postgres from deadlocking two multi-row upserts against each other.
 */
export function stageCommit(change: AuthCommit): StagedCommit {
  if (change.creds !== undefined) assertBytes(change.creds, 'creds')
  const rows: [string, string, Uint8Array][] = []
  const deletes = new Map<string, string[]>()
  for (const category of Object.keys(change.keys ?? {}).sort(byCode)) {
    const entries = change.keys![category]!
    for (const id of Object.keys(entries).sort(byCode)) {
      const value = entries[id]
      if (value === null) {
        let ids = deletes.get(category)
        if (!ids) deletes.set(category, (ids = []))
        ids.push(id)
        continue
      }
      assertBytes(value, `${category}/${id}`)
      rows.push([category, id, value])
    }
  }
  return {
    upserts: { categories: rows.map((r) => r[0]), ids: rows.map((r) => r[1]), values: rows.map((r) => r[2]) },
    deletes,
    creds: change.creds,
    fencingToken: change.fencingToken,
  }
}

