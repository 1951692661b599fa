/**
 * The little of `better-sqlite3` this adapter uses, written structurally so that users need neither
 * the package nor `@types/better-sqlite3` to type-check code that imports `wafleet/storage/sqlite`.
 * A `better-sqlite3` `Database` satisfies it.
 */

export interface SqliteStatementLike {
  run(...params: any[]): { changes: number | bigint }
  get(...params: any[]): unknown
  all(...params: any[]): unknown[]
  /** Return INTEGER columns as BigInt (lease tokens). */
  safeIntegers(toggle?: boolean): SqliteStatementLike
}

export interface SqliteTransactionLike {
  deferred(...args: any[]): unknown
  immediate(...args: any[]): unknown
}

export interface SqliteDatabaseLike {
  prepare(source: string): SqliteStatementLike
  exec(source: string): unknown
  pragma(source: string, options?: { simple?: boolean }): unknown
  transaction(fn: (...args: any[]) => any): SqliteTransactionLike
  close(): unknown
  readonly open: boolean
  readonly inTransaction: boolean
}
