import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import { count, escapeLike, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { Client, ClientPatch } from './registry.schemas.js';

export type ClientRow = Static<typeof Client>;
export type ClientInput = Static<typeof ClientPatch>;

const COLUMNS = ['name', 'rut', 'address', 'phone', 'email'] as const;

export class ClientRepository {
  constructor(private readonly db: Db) {}

  /** tenant: only that client (null: all). */
  async list(f: { tenant: number | null; q?: string }, limit: number, offset: number): Promise<Page<ClientRow>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.tenant !== null) where.push(`id = $${params.push(f.tenant)}`);
    if (f.q) where.push(`name ILIKE $${params.push(`%${escapeLike(f.q)}%`)} ESCAPE '\\'`);
    const base = `SELECT * FROM clients ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.db.query<ClientRow>(`${base} ORDER BY id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]),
      count(this.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get(id: number): Promise<ClientRow | undefined> {
    const { rows } = await this.db.query<ClientRow>('SELECT * FROM clients WHERE id = $1', [id]);
    return rows[0];
  }

  async exists(id: number): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM clients WHERE id = $1', [id]);
    return rows.length > 0;
  }

  async rutTaken(rut: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM clients WHERE rut = $1', [rut]);
    return rows.length > 0;
  }

  async insert(input: ClientInput): Promise<ClientRow> {
    const { sql, params } = insertStatement('clients', input, COLUMNS);
    const { rows } = await this.db.query<ClientRow>(sql, params);
    return rows[0]!;
  }

  /** Undefined when the input changes nothing. */
  async update(id: number, input: ClientInput): Promise<ClientRow | undefined> {
    const stmt = updateStatement('clients', id, input, COLUMNS);
    if (!stmt) return undefined;
    const { rows } = await this.db.query<ClientRow>(stmt.sql, stmt.params);
    return rows[0];
  }

  async projectCount(id: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM projects WHERE client_id = $1', [id]);
    return rows[0]!.n;
  }

  async userCount(id: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE client_id = $1', [id]);
    return rows[0]!.n;
  }

  async delete(id: number): Promise<void> {
    await this.db.query('DELETE FROM clients WHERE id = $1', [id]);
  }
}
