// Issue 6 end to end on Postgres (a schema per scenario, through the gate: must run in CI); the
// scenarios are in e2e-scenarios.ts.
import { describePostgres } from '../helpers/postgres.js'
import { managerScenarios } from './e2e-scenarios.js'
import { postgresBackend } from './e2e-world.js'

describePostgres('simulator end to end', (url) => managerScenarios(postgresBackend(url)))
