import type Database from 'better-sqlite3'
import type pg from 'pg'

/**
 * The few SQL calls the gateway's own tables need, over SQLite or Postgres. Statements use `?`
 * placeholders; the Postgres runner numbers them. One store implementation then serves both.
 */
export interface SqlRunner {
  readonly dialect: 'sqlite' | 'postgres'
  /** DDL, several statements. */
  exec(sql: string): Promise<void>
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>
}

export function sqliteRunner(db: Database.Database): SqlRunner {
  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string) => {
    let statement = statements.get(sql)
    if (!statement) statements.set(sql, (statement = db.prepare(sql)))
    return statement
  }
  return {
    dialect: 'sqlite',
    exec: async (sql) => void db.exec(sql),
    run: async (sql, params = []) => prepare(sql).run(...params).changes,
    all: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as T[],
  }
}

export function postgresRunner(pool: pg.Pool): SqlRunner {
  const numbered = (sql: string) => {
    let n = 0
    return sql.replace(/\?/g, () => `$${++n}`)
  }
  return {
    dialect: 'postgres',
    exec: async (sql) => void (await pool.query(sql)),
    run: async (sql, params = []) => (await pool.query(numbered(sql), [...params])).rowCount ?? 0,
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await pool.query(numbered(sql), [...params])).rows as T[],
  }
}
