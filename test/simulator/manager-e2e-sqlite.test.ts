// Issue 6 end to end on SQLite (a temporary file per scenario); the scenarios are in e2e-scenarios.ts.
import { managerScenarios } from './e2e-scenarios.js'
import { sqliteBackend } from './e2e-world.js'

managerScenarios(sqliteBackend())
