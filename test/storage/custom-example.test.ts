// The worked custom adapter of docs/storage-adapters.md (examples/custom-storage) passes the suite.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { createJsonFileStorage } from '../../examples/custom-storage/json-file-storage.js'
import { runStorageConformance } from '../../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'wafleet-json-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let file = join(dir, 'store-0.json')
let n = 0

await runStorageConformance({
  name: 'JSON file (examples/custom-storage)',
  createStorage: () => createJsonFileStorage(file),
  reset: () => {
    file = join(dir, `store-${++n}.json`)
  },
})
