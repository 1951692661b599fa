/** One step of an adapter's schema. Append new ones; never edit a released one. */
export interface Migration {
  version: number
  name: string
  /** The DDL, given the quoted schema (Postgres) or the table prefix (SQLite). */
  sql(target: string): string
}

/** The version a database reaches after every migration in the list. */
export const latestVersion = (migrations: readonly Migration[]): number => migrations.at(-1)!.version
