import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { describePostgres, dropSchema, uniqueSchemaName } from '../../../test/helpers/postgres.js'
import { startTestGateway } from './helpers.js'

describePostgres('the gateway on Postgres (DATABASE_URL)', (url) => {
  const schema = uniqueSchemaName('gateway')
  // One data directory for both starts, as for one installation: the demo keeps its simulated
  // WhatsApp there, and the restored session logs in to it again.
  const dataDir = mkdtempSync(join(tmpdir(), 'wafleet-gateway-pg-'))
  afterAll(async () => {
    await dropSchema(url, schema)
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('keeps tenants, key hashes and sessions in the database across restarts', async () => {
    const config = { databaseUrl: url, databaseSchema: schema, adminKey: null, dataDir }
    const first = await startTestGateway(config)
    let adminKey: string
    let tenantKey: string
    let session: { id: string; token: string }
    try {
      adminKey = first.gateway.generatedAdminKey!
      expect(first.gateway.storageDescription).toBe(`postgres (schema ${schema})`)
      const admin = first.as(adminKey)
      const tenant = await admin.post('/tenants', { id: 'pg-tenant', name: 'On Postgres' })
      tenantKey = tenant.body.apiKey.key
      session = await first.connectedSession(first.as(tenantKey))
    } finally {
      await first.close()
    }

    const second = await startTestGateway(config)
    try {
      expect(second.gateway.generatedAdminKey).toBeNull()
      expect((await second.as(adminKey).get('/tenants/pg-tenant')).body.name).toBe('On Postgres')
      const listed = await second.as(tenantKey).get('/sessions')
      expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([session.id])
      await second.waitForStatus(session.id, 'connected') // restored without a scan
      expect((await second.as(session.token).get(`/sessions/${session.id}/status`)).body.status).toBe('connected')
      // Deleting the session removes its token from the database too.
      await second.as(tenantKey).delete(`/sessions/${session.id}`)
      expect((await second.as(session.token).get(`/sessions/${session.id}`)).status).toBe(401)
    } finally {
      await second.close()
    }
  })
})
