import type { Db } from '../infra/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { normalizeRut } from './rut.js';
import { count, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { RegistryEvents } from './events.js';

export interface ClientRow {
  id: number;
  name: string;
  rut: string;
  address: string | null;
  phone: string | null;
  email: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ClientInput {
  name?: string;
  rut?: string;
  address?: string | null;
  phone?: string | null;
  email?: string | null;
}

const COLUMNS = ['name', 'rut', 'address', 'phone', 'email'] as const;

export class ClientService {
  constructor(private readonly deps: { db: Db; events: RegistryEvents }) {}

  async list(actor: Principal, page: { limit: number; offset: number; q?: string }): Promise<Page<ClientRow>> {
    const tenant = tenantOf(actor);
    const params: unknown[] = [];
    const where: string[] = [];
    if (tenant !== null) where.push(`id = $${params.push(tenant)}`);
    if (page.q) where.push(`name ILIKE $${params.push(`%${page.q}%`)}`);
    const base = `SELECT * FROM clients ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.deps.db.query<ClientRow>(`${base} ORDER BY id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [
        ...params,
        page.limit,
        page.offset,
      ]),
      count(this.deps.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(actor: Principal, id: number): Promise<ClientRow> {
    const tenant = tenantOf(actor);
    const { rows } = await this.deps.db.query<ClientRow>('SELECT * FROM clients WHERE id = $1', [id]);
    const row = rows[0];
    if (!row || (tenant !== null && row.id !== tenant)) {
      throw new NotFoundError('CLIENT_NOT_FOUND', `client ${id} does not exist`);
    }
    return row;
  }

  async create(actor: Principal, input: ClientInput): Promise<ClientRow> {
    requireStaff(actor);
    const values = normalize(input);
    await this.ensureRutFree(values.rut!);
    const { sql, params } = insertStatement('clients', values, COLUMNS);
    const { rows } = await this.deps.db.query<ClientRow>(sql, params);
    await this.deps.events.registryChanged();
    return rows[0]!;
  }

  async update(actor: Principal, id: number, input: ClientInput): Promise<ClientRow> {
    requireStaff(actor);
    const current = await this.get(actor, id);
    const values = normalize(input);
    if (values.rut && values.rut !== current.rut) await this.ensureRutFree(values.rut);
    const stmt = updateStatement('clients', id, values, COLUMNS);
    if (!stmt) return current;
    const { rows } = await this.deps.db.query<ClientRow>(stmt.sql, stmt.params);
    await this.deps.events.registryChanged();
    return rows[0]!;
  }

  async remove(actor: Principal, id: number): Promise<void> {
    requireStaff(actor);
    await this.get(actor, id);
    const projects = await this.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM projects WHERE client_id = $1', [id]);
    if (projects.rows[0]!.n > 0) {
      throw new ConflictError('CLIENT_HAS_PROJECTS', `client ${id} still has ${projects.rows[0]!.n} project(s); delete or move them first`);
    }
    await this.deps.db.query('DELETE FROM clients WHERE id = $1', [id]);
    await this.deps.events.registryChanged();
  }

  private async ensureRutFree(rut: string) {
    const { rows } = await this.deps.db.query('SELECT id FROM clients WHERE rut = $1', [rut]);
    if (rows.length > 0) throw new ConflictError('CLIENT_RUT_TAKEN', `a client with RUT ${rut} already exists`);
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
