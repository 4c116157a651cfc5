import { randomBytes } from 'node:crypto';
import type { Db } from '../infra/db/index.js';
import type { Cache } from '../infra/cache/index.js';
import { cached } from '../infra/cache/index.js';
import { sha256 } from '../infra/secrets.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import { hashPassword, verifyPassword } from './password.js';
import { type Principal, type Role, requireRole } from './principal.js';

export interface UserRow {
  id: number;
  email: string;
  name: string | null;
  role: Role;
  client_id: number | null;
  is_active: boolean;
  created_at: Date;
}

export interface ApiKeyAccess {
  principal: Principal;
  /** An ingest key's points: it may push readings to these and do nothing else. Null for a full key. */
  ingestPointIds: number[] | null;
}

const USER_COLUMNS = 'id, email, name, role, client_id, is_active, created_at';
const API_KEY_NS = 'api-keys';

export class AuthService {
  constructor(private readonly deps: { db: Db; cache: Cache }) {}

  async login(email: string, password: string): Promise<Principal> {
    const { rows } = await this.deps.db.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $1`,
      [email.trim().toLowerCase()],
    );
    const user = rows[0];
    // Verify even for unknown users so response time does not reveal which e-mails exist.
    const ok = await verifyPassword(password, user?.password_hash ?? 'scrypt$16384$8$1$AAAA$AAAA');
    if (!user || !ok || !user.is_active) throw new UnauthorizedError('e-mail or password is wrong');
    return { userId: user.id, role: user.role, clientId: user.client_id };
  }

  async createUser(
    actor: Principal | 'system',
    input: { email: string; password: string; role: Role; client_id?: number | null; name?: string | null },
  ): Promise<UserRow> {
    if (actor !== 'system') requireRole(actor, 'admin');
    const email = input.email.trim().toLowerCase();
    if (input.role === 'client' && !input.client_id) {
      throw new ValidationError('client_id is required for role client', 'client_id');
    }
    if (input.role !== 'client' && input.client_id) {
      throw new ValidationError('client_id is only allowed for role client', 'client_id');
    }
    if (input.client_id) {
      const c = await this.deps.db.query('SELECT 1 FROM clients WHERE id = $1', [input.client_id]);
      if (c.rows.length === 0) throw new ValidationError(`client_id ${input.client_id} does not exist`, 'client_id');
    }
    const exists = await this.deps.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    if (exists.rows.length > 0) throw new ConflictError('USER_EXISTS', `a user with e-mail ${email} already exists`);
    const hash = await hashPassword(input.password);
    const { rows } = await this.deps.db.query<UserRow>(
      `INSERT INTO users (email, name, password_hash, role, client_id) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${USER_COLUMNS}`,
      [email, input.name ?? null, hash, input.role, input.client_id ?? null],
    );
    return rows[0]!;
  }

  async listUsers(actor: Principal, limit: number, offset: number) {
    requireRole(actor, 'admin');
    const [items, total] = await Promise.all([
      this.deps.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]),
      this.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users'),
    ]);
    return { items: items.rows, total: total.rows[0]!.n };
  }

  async getUser(id: number): Promise<UserRow> {
    const { rows } = await this.deps.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('USER_NOT_FOUND', `user ${id} does not exist`);
    return rows[0];
  }

  async countAdmins(): Promise<number> {
    const { rows } = await this.deps.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin'");
    return rows[0]!.n;
  }

  /**
   * Creates an API key for the caller; the key is returned once and only its hash is stored. With
   * `ingestPointIds` it is an ingest key: it may only push readings to those points (the caller checks
   * they are the actor's).
   */
  async createApiKey(
    actor: Principal,
    name: string,
    ingestPointIds: readonly number[] | null = null,
  ): Promise<{ id: number; name: string; key: string; prefix: string }> {
    const key = `shk_${randomBytes(24).toString('base64url')}`;
    const prefix = key.slice(0, 10);
    const { rows } = await this.deps.db.query<{ id: number }>(
      'INSERT INTO api_keys (user_id, name, prefix, key_hash, scope, point_ids) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [actor.userId, name, prefix, sha256(key), ingestPointIds ? 'ingest' : 'full', ingestPointIds],
    );
    return { id: Number(rows[0]!.id), name, key, prefix };
  }

  async listApiKeys(actor: Principal) {
    const { rows } = await this.deps.db.query(
      'SELECT id, name, prefix, scope, point_ids, created_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY id',
      [actor.userId],
    );
    return { items: rows, total: rows.length };
  }

  async revokeApiKey(actor: Principal, id: number): Promise<void> {
    const r = await this.deps.db.query(
      'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [id, actor.userId],
    );
    if (r.rowCount === 0) throw new NotFoundError('API_KEY_NOT_FOUND', `API key ${id} does not exist or is already revoked`);
    await this.deps.cache.invalidate(API_KEY_NS);
  }

  /** The key's owner, and for an ingest key the points it may push to (null for a full key). */
  async principalForApiKey(key: string): Promise<ApiKeyAccess | null> {
    const hash = sha256(key);
    // Keyed apart from the entries of the earlier shape (a bare principal) that a shared cache may still hold.
    const text = await cached(this.deps.cache, API_KEY_NS, `access|${hash}`, 60, async () => {
      const { rows } = await this.deps.db.query<{ id: number; role: Role; client_id: number | null; point_ids: string[] | null }>(
        `SELECT u.id, u.role, u.client_id, k.point_ids FROM api_keys k JOIN users u ON u.id = k.user_id
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.is_active`,
        [hash],
      );
      const u = rows[0];
      const access: ApiKeyAccess | null = u
        ? { principal: { userId: Number(u.id), role: u.role, clientId: u.client_id === null ? null : Number(u.client_id) }, ingestPointIds: u.point_ids?.map(Number) ?? null }
        : null;
      return JSON.stringify(access);
    });
    return JSON.parse(text) as ApiKeyAccess | null;
  }
}
