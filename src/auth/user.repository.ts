import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { User } from './auth.schemas.js';
import type { Role } from './principal.js';

export type UserRow = Static<typeof User>;

const USER_COLUMNS = 'id, email, name, role, client_id, is_active, created_at';

export class UserRepository {
  constructor(private readonly db: Db) {}

  /** The user with that (normalised) e-mail and the password hash to check against. */
  async byEmailWithHash(email: string): Promise<(UserRow & { password_hash: string }) | undefined> {
    const { rows } = await this.db.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`,
      [email],
    );
    return rows[0];
  }

  async get(id: number): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  async exists(id: number): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM users WHERE id = $1', [id]);
    return rows.length > 0;
  }

  async emailTaken(email: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    return rows.length > 0;
  }

  async insert(u: { email: string; name: string | null; passwordHash: string; role: Role; clientId: number | null }): Promise<UserRow> {
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (email, name, password_hash, role, client_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${USER_COLUMNS}`,
      [u.email, u.name, u.passwordHash, u.role, u.clientId],
    );
    return rows[0]!;
  }

  async list(limit: number, offset: number): Promise<Page<UserRow>> {
    const [items, total] = await Promise.all([
      this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]),
      this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'),
    ]);
    return { items: items.rows, total: total.rows[0]!.n };
  }

  async countWithRole(role: Role): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE role = $1', [role]);
    return rows[0]!.n;
  }
}
