import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { ApiKey } from './auth.schemas.js';
import type { Role } from './principal.js';

export type ApiKeyRow = Static<typeof ApiKey>;

export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  /** `ingestPointIds` set: an ingest key, which may only push readings to those points. */
  async insert(k: { userId: number; name: string; prefix: string; keyHash: string; ingestPointIds: readonly number[] | null }): Promise<number> {
    const { rows } = await this.db.query<{ id: number }>(
      'INSERT INTO api_keys (user_id, name, prefix, key_hash, scope, point_ids) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [k.userId, k.name, k.prefix, k.keyHash, k.ingestPointIds ? 'ingest' : 'full', k.ingestPointIds],
    );
    return Number(rows[0]!.id);
  }

  async countActive(userId: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    return rows[0]!.n;
  }

  async listOf(userId: number): Promise<Page<ApiKeyRow>> {
    const { rows } = await this.db.query<ApiKeyRow>(
      'SELECT id, name, prefix, scope, point_ids, created_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY id',
      [userId],
    );
    return { items: rows, total: rows.length };
  }

  /** False when the user has no such key or it is already revoked. */
  async revoke(userId: number, id: number): Promise<boolean> {
    const r = await this.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [id, userId]);
    return r.rowCount > 0;
  }

  /** The active user owning an unrevoked key with that hash, and the key's ingest points (null: a full key). */
  async ownerOf(keyHash: string): Promise<{ id: number; role: Role; client_id: number | null; point_ids: string[] | null } | undefined> {
    const { rows } = await this.db.query<{ id: number; role: Role; client_id: number | null; point_ids: string[] | null }>(
      `SELECT u.id, u.role, u.client_id, k.point_ids FROM api_keys k JOIN users u ON u.id = k.user_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.is_active`,
      [keyHash],
    );
    return rows[0];
  }
}
