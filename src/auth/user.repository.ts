import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { User } from './auth.schemas.js';
import type { Role } from './principal.js';

export type UserRow = Static<typeof User>;

const USER_COLUMNS = 'id, email, name, role, client_id, is_active, created_at';

export class UserRepository {
  constructor(private readonly db: Db) {}

  /** The user with that (normalised) e-mail, the password hash to check against and the token version. */
  async byEmailWithHash(email: string): Promise<(UserRow & { password_hash: string; token_version: number }) | undefined> {
    const { rows } = await this.db.query<UserRow & { password_hash: string; token_version: number }>(
      `SELECT ${USER_COLUMNS}, password_hash, token_version FROM users WHERE email = $1`,
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

  /** Whether the user may still act, and the token version a session token must carry; undefined: no such user. */
  async sessionState(id: number): Promise<{ is_active: boolean; token_version: number } | undefined> {
    const { rows } = await this.db.query<{ is_active: boolean; token_version: number }>(
      'SELECT is_active, token_version FROM users WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  async passwordHash(id: number): Promise<string | undefined> {
    const { rows } = await this.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]);
    return rows[0]?.password_hash;
  }

  /** Stores a new hash of the same password (a cost upgrade): sessions stay valid. */
  async rehash(id: number, passwordHash: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
  }

  /** A new password ends every session: returns the new token version. */
  async setPassword(id: number, passwordHash: string): Promise<number> {
    const { rows } = await this.db.query<{ token_version: number }>(
      'UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now() WHERE id = $1 RETURNING token_version',
      [id, passwordHash],
    );
    return rows[0]!.token_version;
  }

  /** Ends every session of the user (tokens issued before carry an older version). */
  async endSessions(id: number): Promise<void> {
    await this.db.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [id]);
  }

  /** Changes name and/or active state; disabling also ends the user's sessions. Undefined: no such user. */
  async update(id: number, patch: { name?: string | null; is_active?: boolean }): Promise<UserRow | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `UPDATE users SET
         name = CASE WHEN $2 THEN $3 ELSE name END,
         is_active = COALESCE($4, is_active),
         token_version = token_version + CASE WHEN $4 = false AND is_active THEN 1 ELSE 0 END,
         updated_at = now()
       WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id, patch.name !== undefined, patch.name ?? null, patch.is_active ?? null],
    );
    return rows[0];
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.query('DELETE FROM users WHERE id = $1', [id]);
    return r.rowCount > 0;
  }

  async countWithRole(role: Role): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE role = $1', [role]);
    return rows[0]!.n;
  }
}
