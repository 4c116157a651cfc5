import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import type { RegistryEvents } from './events.js';
import { ClientRepository } from './client.repository.js';
import { ProjectRepository, type ProjectInput, type ProjectRow } from './project.repository.js';

export type { ProjectInput, ProjectRow } from './project.repository.js';

/** A blank internal code is no code: it is stored as null, so any number of projects may lack one. */
function withoutBlankCode(input: ProjectInput): ProjectInput {
  return typeof input.code_internal === 'string' && !input.code_internal.trim() ? { ...input, code_internal: null } : input;
}

export class ProjectService {
  private readonly repo: ProjectRepository;
  private readonly clients: ClientRepository;

  constructor(private readonly deps: { db: Db; events: RegistryEvents }) {
    this.repo = new ProjectRepository(deps.db);
    this.clients = new ClientRepository(deps.db);
  }

  list(actor: Principal, page: { limit: number; offset: number; client_id?: number }): Promise<Page<ProjectRow>> {
    return this.repo.list({ tenant: tenantOf(actor), client_id: page.client_id }, page.limit, page.offset);
  }

  async get(actor: Principal, id: number): Promise<ProjectRow> {
    const tenant = tenantOf(actor);
    const row = await this.repo.get(id);
    if (!row || (tenant !== null && row.client_id !== tenant)) {
      throw new NotFoundError('PROJECT_NOT_FOUND', `project ${id} does not exist`);
    }
    return row;
  }

  async create(actor: Principal, body: ProjectInput): Promise<ProjectRow> {
    requireStaff(actor);
    const input = withoutBlankCode(body);
    if (input.client_id === undefined) throw new ValidationError('client_id is required', 'client_id');
    await this.ensureClient(input.client_id);
    if (!input.name?.trim()) throw new ValidationError('name must not be empty', 'name');
    await this.ensureCodeFree(input.client_id, input.code_internal);
    const row = await this.repo.insert(input);
    await this.deps.events.registryChanged();
    return row;
  }

  async update(actor: Principal, id: number, body: ProjectInput): Promise<ProjectRow> {
    requireStaff(actor);
    const input = withoutBlankCode(body);
    const current = await this.get(actor, id);
    if (input.client_id !== undefined && input.client_id !== current.client_id) await this.ensureClient(input.client_id);
    if (input.name !== undefined && !input.name.trim()) throw new ValidationError('name must not be empty', 'name');
    const clientId = input.client_id ?? current.client_id;
    const code = input.code_internal === undefined ? current.code_internal : input.code_internal;
    if (clientId !== current.client_id || code !== current.code_internal) await this.ensureCodeFree(clientId, code, id);
    const row = await this.repo.update(id, input);
    if (!row) return current;
    await this.deps.events.registryChanged();
    return row;
  }

  async remove(actor: Principal, id: number): Promise<void> {
    requireStaff(actor);
    await this.get(actor, id);
    const points = await this.repo.pointCount(id);
    if (points > 0) {
      throw new ConflictError('PROJECT_HAS_POINTS', `project ${id} still has ${points} point(s); delete or move them first`);
    }
    await this.repo.delete(id);
    await this.deps.events.registryChanged();
  }

  private async ensureClient(clientId: number) {
    if (!(await this.clients.exists(clientId))) throw new ValidationError(`client_id ${clientId} does not exist`, 'client_id');
  }

  private async ensureCodeFree(clientId: number, code: string | null | undefined, exceptId?: number) {
    if (!code) return;
    const ids = await this.repo.idsWithCode(clientId, code);
    if (ids.some((id) => id !== exceptId)) {
      throw new ConflictError('PROJECT_CODE_TAKEN', `client ${clientId} already has a project with code_internal ${code}`);
    }
  }
}
