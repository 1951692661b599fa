import { SessionError, ValidationError } from '../errors.js'
import type { Session } from '../session/session.js'
import type { SessionListQuery } from '../storage/types.js'
import type { CreateSessionInput, ListSessionsPage, SessionManager } from './session-manager.js'

/**
 * The manager as one tenant sees it: other tenants' sessions do not exist here (they answer
 * `SESSION_NOT_FOUND`, never "forbidden", so their existence does not leak).
 */
export class TenantView {
  constructor(
    private readonly manager: SessionManager,
    readonly tenantId: string,
  ) {}

  create(input: Omit<CreateSessionInput, 'tenantId'>): Promise<Session> {
    if (input && 'tenantId' in input && (input as CreateSessionInput).tenantId !== undefined) {
      throw new ValidationError('VALIDATION_ERROR', 'tenantId is set by the tenant view', { details: { field: 'tenantId' } })
    }
    return this.manager.create({ ...input, tenantId: this.tenantId })
  }

  get(id: string): Session | undefined {
    const session = this.manager.get(id)
    return session?.tenantId === this.tenantId ? session : undefined
  }

  getOrThrow(id: string): Session {
    const session = this.get(id)
    if (!session) throw new SessionError('SESSION_NOT_FOUND', `Session ${id} not found`, { details: { sessionId: id } })
    return session
  }

  list(query: Omit<SessionListQuery, 'tenantId'> = {}): Promise<ListSessionsPage> {
    return this.manager.list({ ...query, tenantId: this.tenantId })
  }

  async delete(id: string): Promise<void> {
    this.getOrThrow(id)
    await this.manager.delete(id)
  }
}
