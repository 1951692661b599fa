import { latestVersion, type Migration } from '../sql/migration.js'

/**
 * Versioned schema of the SQLite adapter. Append new migrations; never edit a released one. `p` is
 * the table prefix. STRICT tables reject values of the wrong type instead of coercing them; TEXT
 * compares with BINARY collation (case-sensitive, byte-wise); every per-session table cascades from
 * the sessions table, which needs `PRAGMA foreign_keys = ON` (checked at open).
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (p) => `
CREATE TABLE "${p}sessions" (
  id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  desired_state TEXT NOT NULL,
  phone_number TEXT,
  jid TEXT,
  lid TEXT,
  webhooks TEXT NOT NULL,
  proxy TEXT,
  rate_limit TEXT,
  metadata TEXT NOT NULL,
  stats TEXT NOT NULL,
  last_disconnect TEXT,
  connected_at TEXT,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  version INTEGER NOT NULL
) STRICT;
-- Names are unique per tenant, and separately among sessions without a tenant (NULLs never collide in a plain UNIQUE).
CREATE UNIQUE INDEX "${p}sessions_tenant_name" ON "${p}sessions" (tenant_id, name) WHERE tenant_id IS NOT NULL;
CREATE UNIQUE INDEX "${p}sessions_untenanted_name" ON "${p}sessions" (name) WHERE tenant_id IS NULL;
CREATE INDEX "${p}sessions_list" ON "${p}sessions" (created_ms, id);

CREATE TABLE "${p}creds" (
  session_id TEXT NOT NULL PRIMARY KEY REFERENCES "${p}sessions" (id) ON DELETE CASCADE,
  value BLOB NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE "${p}keys" (
  session_id TEXT NOT NULL REFERENCES "${p}sessions" (id) ON DELETE CASCADE,
  category TEXT NOT NULL,
  key_id TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (session_id, category, key_id)
) STRICT;

CREATE TABLE "${p}messages" (
  -- rowid order is insertion order; a re-put replaces the row, so pruning keeps the most recently stored.
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES "${p}sessions" (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  remote_jid TEXT NOT NULL,
  message BLOB NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  UNIQUE (session_id, id)
) STRICT;
CREATE INDEX "${p}messages_prune" ON "${p}messages" (session_id, seq);

CREATE TABLE "${p}outbox" (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  session_id TEXT REFERENCES "${p}sessions" (id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  event TEXT NOT NULL,
  payload BLOB NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  available_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  claimed_by TEXT,
  claimed_until INTEGER
) STRICT;
CREATE INDEX "${p}outbox_due" ON "${p}outbox" (available_at, seq) WHERE status = 'pending';
CREATE INDEX "${p}outbox_session" ON "${p}outbox" (session_id);

CREATE TABLE "${p}leases" (
  session_id TEXT NOT NULL PRIMARY KEY REFERENCES "${p}sessions" (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  token INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
) STRICT;
`,
  },
]

export const SQLITE_SCHEMA_VERSION = latestVersion(SQLITE_MIGRATIONS)
