import { SessionError, StorageError, type WafleetError } from '../errors.js'

/**
 * The coded errors every adapter raises for the same contract violations, so that memory, SQLite,
 * Postgres and custom adapters are indistinguishable to the SDK (and to the conformance suite).
 */

export const storageClosed = (operation: string): WafleetError =>
  new StorageError('STORAGE_CLOSED', `Storage is closed (${operation})`, { details: { operation } })

export const sessionNotFound = (sessionId: string): WafleetError =>
  new SessionError('SESSION_NOT_FOUND', `Session ${sessionId} not found`, { details: { sessionId } })

export const sessionIdTaken = (sessionId: string): WafleetError =>
  new StorageError('STORAGE_CONFLICT', `Session id ${sessionId} already exists`, { details: { sessionId } })

export const sessionNameTaken = (tenantId: string | null, name: string): WafleetError =>
  new SessionError('SESSION_NAME_TAKEN', `A session named "${name}" already exists`, { details: { name, tenantId } })

export const versionConflict = (sessionId: string, expectedVersion: number, actualVersion: number): WafleetError =>
  new StorageError('VERSION_CONFLICT', `Session ${sessionId} was changed concurrently`, {
    details: { sessionId, expectedVersion, actualVersion },
  })

export const leaseLost = (sessionId: string): WafleetError =>
  new StorageError('LEASE_LOST', `This process no longer owns session ${sessionId}`, { details: { sessionId } })

export const schemaTooNew = (found: number, supported: number, where: string): WafleetError =>
  new StorageError(
    'SCHEMA_TOO_NEW',
    `The ${where} schema is at version ${found}, newer than this wafleet supports (${supported}); upgrade wafleet instead of downgrading the database`,
    { details: { found, supported } },
  )

export const schemaBehind = (found: number, required: number, where: string): WafleetError =>
  new StorageError(
    'MIGRATION_FAILED',
    `The ${where} schema is at version ${found} but this wafleet needs ${required}; run with migrate: true (the default) once`,
    { details: { found, required } },
  )
