/**
 * Keeps the last occurrence of each id, in order of that last occurrence: what applying the items one
 * by one would leave. A multi-row upsert must not see one key twice (Postgres refuses that).
 */
export function latestById<T extends { id: string }>(items: readonly T[]): T[] {
  const byId = new Map<string, T>()
  for (const item of items) {
    byId.delete(item.id)
    byId.set(item.id, item)
  }
  return [...byId.values()]
}
