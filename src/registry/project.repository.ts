import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import { count, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { Project, ProjectPatch } from './registry.schemas.js';

export type ProjectRow = Static<typeof Project>;
export type ProjectInput = Static<typeof ProjectPatch>;

const COLUMNS = ['client_id', 'name', 'code_internal'] as const;

export class ProjectRepository {
  constructor(private readonly db: Db) {}

  /** tenant: only that client's projects (null: all). */
  async list(f: { tenant: number | null; client_id?: number }, limit: number, offset: number): Promise<Page<ProjectRow>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.tenant !== null) where.push(`client_id = $${params.push(f.tenant)}`);
    if (f.client_id !== undefined) where.push(`client_id = $${params.push(f.client_id)}`);
    const base = `SELECT * FROM projects ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.db.query<ProjectRow>(`${base} ORDER BY id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]),
      count(this.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(id: number): Promise<ProjectRow | undefined> {
    const { rows } = await this.db.query<ProjectRow>('SELECT * FROM projects WHERE id = $1', [id]);
    return rows[0];
  }

  async exists(id: number): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM projects WHERE id = $1', [id]);
    return rows.length > 0;
  }

  /** Ids of the client's projects with that internal code. */
  async idsWithCode(clientId: number, code: string): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>('SELECT id FROM projects WHERE client_id = $1 AND code_internal = $2', [clientId, code]);
    return rows.map((r) => Number(r.id));
  }

  async insert(input: ProjectInput): Promise<ProjectRow> {
    const { sql, params } = insertStatement('projects', input, COLUMNS);
    const { rows } = await this.db.query<ProjectRow>(sql, params);
    return rows[0]!;
  }

  /** Undefined when the input changes nothing. */
  async update(id: number, input: ProjectInput): Promise<ProjectRow | undefined> {
    const stmt = updateStatement('projects', id, input, COLUMNS);
    if (!stmt) return undefined;
    const { rows } = await this.db.query<ProjectRow>(stmt.sql, stmt.params);
    return rows[0];
  }

  async pointCount(id: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM catchment_points WHERE project_id = $1', [id]);
    return rows[0]!.n;
  }

  async delete(id: number): Promise<void> {
    await this.db.query('DELETE FROM projects WHERE id = $1', [id]);
  }
}
