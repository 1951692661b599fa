// 'wafleet/storage/postgres': the PostgreSQL adapter. Needs the optional peer `pg` (npm install pg).

export { createPostgresStorage } from './adapter.js'
export type { PostgresStorageOptions } from './adapter.js'
export { POSTGRES_SCHEMA_VERSION } from './migrations.js'
export type { PgPoolLike, PgPoolClientLike, PgQueryable, PgQueryConfig, PgQueryResult, PgTypeOverrides } from './pg-types.js'
