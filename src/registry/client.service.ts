import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { normalizeRut } from './rut.js';
import type { RegistryEvents } from './events.js';
import { ClientRepository, type ClientInput, type ClientRow } from './client.repository.js';

export type { ClientInput, ClientRow } from './client.repository.js';

export class ClientService {
  private readonly repo: ClientRepository;

  constructor(private readonly deps: { db: Db; events: RegistryEvents }) {
    this.repo = new ClientRepository(deps.db);
  }

  list(actor: Principal, page: { limit: number; offset: number; q?: string }): Promise<Page<ClientRow>> {
    return this.repo.list({ tenant: tenantOf(actor), q: page.q }, page.limit, page.offset);
  }

  async get(actor: Principal, id: number): Promise<ClientRow> {
    const tenant = tenantOf(actor);
    const row = await this.repo.get(id);
    if (!row || (tenant !== null && row.id !== tenant)) {
      throw new NotFoundError('CLIENT_NOT_FOUND', `client ${id} does not exist`);
    }
    return row;
  }

  async create(actor: Principal, input: ClientInput): Promise<ClientRow> {
    requireStaff(actor);
    const values = normalize(input);
    await this.ensureRutFree(values.rut!);
    const row = await this.repo.insert(values);
    await this.deps.events.registryChanged();
    return row;
  }

  async update(actor: Principal, id: number, input: ClientInput): Promise<ClientRow> {
    requireStaff(actor);
    const current = await this.get(actor, id);
    const values = normalize(input);
    if (values.rut && values.rut !== current.rut) await this.ensureRutFree(values.rut);
    const row = await this.repo.update(id, values);
    if (!row) return current;
    await this.deps.events.registryChanged();
    return row;
  }

  async remove(actor: Principal, id: number): Promise<void> {
    requireStaff(actor);
    await this.get(actor, id);
    const projects = await this.repo.projectCount(id);
    if (projects > 0) {
      throw new ConflictError('CLIENT_HAS_PROJECTS', `client ${id} still has ${projects} project(s); delete or move them first`);
    }
    const users = await this.repo.userCount(id);
    if (users > 0) {
      throw new ConflictError('CLIENT_HAS_USERS', `client ${id} still has ${users} user(s); delete them first (DELETE /api/v1/users/{id})`);
    }
    await this.repo.delete(id);
    await this.deps.events.registryChanged();
  }

  private async ensureRutFree(rut: string) {
    if (await this.repo.rutTaken(rut)) throw new ConflictError('CLIENT_RUT_TAKEN', `a client with RUT ${rut} already exists`);
  }
}

function normalize(input: ClientInput): ClientInput {
  const out: ClientInput = { ...input };
  if (input.rut !== undefined) {
    const rut = normalizeRut(input.rut);
    if (!rut) throw new ValidationError(`rut "${input.rut}" is not a valid RUT (check digit mismatch or bad format, e.g. 76123456-0)`, 'rut');
    out.rut = rut;
  }
  if (input.name !== undefined && input.name.trim() === '') throw new ValidationError('name must not be empty', 'name');
  return out;
}
