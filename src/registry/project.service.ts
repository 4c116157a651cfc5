import type { Db } from '../infra/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { count, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { RegistryEvents } from './events.js';

export interface ProjectRow {
  id: number;
  client_id: number;
  name: string;
  code_internal: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ProjectInput {
  client_id?: number;
  name?: string;
  code_internal?: string | null;
}

const COLUMNS = ['client_id', 'name', 'code_internal'] as const;

export class ProjectService {
  constructor(private readonly deps: { db: Db; events: RegistryEvents }) {}

  async list(actor: Principal, page: { limit: number; offset: number; client_id?: number }): Promise<Page<ProjectRow>> {
    const tenant = tenantOf(actor);
    const params: unknown[] = [];
    const where: string[] = [];
    if (tenant !== null) where.push(`client_id = $${params.push(tenant)}`);
    if (page.client_id !== undefined) where.push(`client_id = $${params.push(page.client_id)}`);
    const base = `SELECT * FROM projects ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.deps.db.query<ProjectRow>(`${base} ORDER BY id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [
        ...params,
        page.limit,
        page.offset,
      ]),
      count(this.deps.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(actor: Principal, id: number): Promise<ProjectRow> {
    const tenant = tenantOf(actor);
    const { rows } = await this.deps.db.query<ProjectRow>('SELECT * FROM projects WHERE id = $1', [id]);
    const row = rows[0];
    if (!row || (tenant !== null && row.client_id !== tenant)) {
      throw new NotFoundError('PROJECT_NOT_FOUND', `project ${id} does not exist`);
    }
    return row;
  }

  async create(actor: Principal, input: ProjectInput): Promise<ProjectRow> {
    requireStaff(actor);
    if (input.client_id === undefined) throw new ValidationError('client_id is required', 'client_id');
    await this.ensureClient(input.client_id);
    if (!input.name?.trim()) throw new ValidationError('name must not be empty', 'name');
    await this.ensureCodeFree(input.client_id, input.code_internal);
    const { sql, params } = insertStatement('projects', { ...input }, COLUMNS);
    const { rows } = await this.deps.db.query<ProjectRow>(sql, params);
    await this.deps.events.registryChanged();
    return rows[0]!;
  }

  async update(actor: Principal, id: number, input: ProjectInput): Promise<ProjectRow> {
    requireStaff(actor);
    const current = await this.get(actor, id);
    if (input.client_id !== undefined && input.client_id !== current.client_id) await this.ensureClient(input.client_id);
    if (input.name !== undefined && !input.name.trim()) throw new ValidationError('name must not be empty', 'name');
    const clientId = input.client_id ?? current.client_id;
    const code = input.code_internal === undefined ? current.code_internal : input.code_internal;
    if (clientId !== current.client_id || code !== current.code_internal) await this.ensureCodeFree(clientId, code, id);
    const stmt = updateStatement('projects', id, { ...input }, COLUMNS);
    if (!stmt) return current;
    const { rows } = await this.deps.db.query<ProjectRow>(stmt.sql, stmt.params);
    await this.deps.events.registryChanged();
    return rows[0]!;
  }

  async remove(actor: Principal, id: number): Promise<void> {
    requireStaff(actor);
    await this.get(actor, id);
    const { rows } = await this.deps.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM catchment_points WHERE project_id = $1',
      [id],
    );
    if (rows[0]!.n > 0) {
      throw new ConflictError('PROJECT_HAS_POINTS', `project ${id} still has ${rows[0]!.n} point(s); delete or move them first`);
    }
    await this.deps.db.query('DELETE FROM projects WHERE id = $1', [id]);
    await this.deps.events.registryChanged();
  }

  private async ensureClient(clientId: number) {
    const { rows } = await this.deps.db.query('SELECT 1 FROM clients WHERE id = $1', [clientId]);
    if (rows.length === 0) throw new ValidationError(`client_id ${clientId} does not exist`, 'client_id');
  }

  private async ensureCodeFree(clientId: number, code: string | null | undefined, exceptId?: number) {
    if (!code) return;
    const { rows } = await this.deps.db.query<{ id: number }>(
      'SELECT id FROM projects WHERE client_id = $1 AND code_internal = $2',
      [clientId, code],
    );
    if (rows.some((r) => r.id !== exceptId)) {
      throw new ConflictError('PROJECT_CODE_TAKEN', `client ${clientId} already has a project with code_internal ${code}`);
    }
  }
}
