/** Waits (real time, at most 10 s) until `check` holds; for outcomes that arrive asynchronously. */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const guard = performance.now() + 10_000
  while (!(await check())) {
    if (performance.now() > guard) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
