import { randomUUID } from 'node:crypto'
import { ApiError } from '../http/errors.js'
import { route, type RouteDef } from '../http/route.js'
import { createTenantBody, pageQuery } from '../http/schemas.js'
import type { GatewayDeps } from './deps.js'
import { schemas } from './openapi-schemas.js'

const tenantNotFound = (id: string) => new ApiError(404, 'TENANT_NOT_FOUND', `Tenant ${id} not found`, { tenantId: id })

/** Admin only: tenants and their API keys. Keys are shown once, when they are made. */
export function tenantRoutes({ manager, authenticator, store }: GatewayDeps): RouteDef[] {
  const requireTenant = async (id: string) => {
    const tenant = await store.getTenant(id)
    if (!tenant) throw tenantNotFound(id)
    return tenant
  }
  const keyList = async (tenantId: string) =>
    (await store.listKeys({ scope: 'tenant', tenantId })).map((key) => ({ id: key.id, createdAt: key.createdAt }))

  return [
    route({
      method: 'post',
      path: '/tenants',
      tag: 'Tenants',
      summary: 'Create a tenant and its first API key',
      access: 'admin',
      body: createTenantBody,
      response: { status: 201, description: 'The tenant and its key (shown only here)', schema: schemas.createdTenant },
      handler: async ({ body }) => {
        const tenant = { id: body.id ?? randomUUID(), name: body.name, createdAt: new Date().toISOString() }
        if (!(await store.createTenant(tenant))) throw new ApiError(409, 'TENANT_EXISTS', `Tenant ${tenant.id} already exists`, { tenantId: tenant.id })
        const key = await authenticator.issue('tenant', { tenantId: tenant.id })
        return { tenant, apiKey: { id: key.id, key: key.key } }
      },
    }),
    route({
      method: 'get',
      path: '/tenants',
      tag: 'Tenants',
      summary: 'List tenants',
      access: 'admin',
      query: pageQuery,
      response: { status: 200, description: 'A page of tenants, by id', schema: schemas.tenantPage },
      handler: ({ query }) => store.listTenants(query),
    }),
    route({
      method: 'get',
      path: '/tenants/:id',
      tag: 'Tenants',
      summary: 'Get a tenant and the ids of its keys',
      access: 'admin',
      response: { status: 200, description: 'The tenant', schema: schemas.tenant },
      handler: async ({ params }) => ({ ...(await requireTenant(params.id!)), keys: await keyList(params.id!) }),
    }),
    route({
      method: 'delete',
      path: '/tenants/:id',
      tag: 'Tenants',
      summary: 'Delete a tenant and its keys (delete its sessions first)',
      access: 'admin',
      response: { status: 200, description: 'Deleted', schema: schemas.deleted },
      handler: async ({ params }) => {
        const tenant = await requireTenant(params.id!)
        // Deleting a tenant must not silently unlink WhatsApp accounts: its sessions go first, on purpose.
        const { items } = await manager.list({ tenantId: tenant.id, limit: 1 })
        if (items.length) throw new ApiError(409, 'TENANT_NOT_EMPTY', `Tenant ${tenant.id} still has sessions; delete them first`, { tenantId: tenant.id })
        await authenticator.revokeTenant(tenant.id)
        await store.deleteTenant(tenant.id)
        return { id: tenant.id, deleted: true }
      },
    }),
    route({
      method: 'post',
      path: '/tenants/:id/keys',
      tag: 'Tenants',
      summary: 'Add an API key to a tenant (for rotation)',
      access: 'admin',
      response: { status: 201, description: 'The key (shown only here)', schema: schemas.apiKey },
      handler: async ({ params }) => {
        const tenant = await requireTenant(params.id!)
        const key = await authenticator.issue('tenant', { tenantId: tenant.id })
        return { id: key.id, key: key.key }
      },
    }),
    route({
      method: 'delete',
      path: '/tenants/:id/keys/:keyId',
      tag: 'Tenants',
      summary: "Revoke one of a tenant's keys",
      access: 'admin',
      response: { status: 200, description: 'Revoked', schema: schemas.deleted },
      handler: async ({ params }) => {
        await requireTenant(params.id!)
        const keys = await store.listKeys({ scope: 'tenant', tenantId: params.id! })
        if (!keys.some((key) => key.id === params.keyId)) throw new ApiError(404, 'KEY_NOT_FOUND', `Key ${params.keyId} not found`, { keyId: params.keyId })
        await authenticator.revoke(params.keyId!)
        return { id: params.keyId, deleted: true }
      },
    }),
  ]
}
