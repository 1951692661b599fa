// 'wafleet/storage/sqlite': the SQLite adapter. Needs the optional peer `better-sqlite3` (npm install better-sqlite3).

export { createSqliteStorage } from './adapter.js'
export type { SqliteStorageOptions } from './adapter.js'
export { SQLITE_SCHEMA_VERSION } from './migrations.js'
export type { SqliteDatabaseLike, SqliteStatementLike, SqliteTransactionLike } from './sqlite-types.js'
