import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import { insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { Account } from './account.schemas.js';
import type { ProviderName } from './provider.js';

export type AccountRow = Static<typeof Account>;

/** An account as the collector needs it: the password still encrypted. */
export interface StoredAccount {
  id: number;
  provider: ProviderName;
  base_url: string;
  username: string | null;
  password_enc: string | null;
  is_default: boolean;
}

const SELECT = `SELECT id, provider, name, base_url, username, password_enc IS NOT NULL AS has_password, is_default,
  created_at, updated_at FROM provider_accounts`;
const COLUMNS = ['provider', 'name', 'base_url', 'username', 'password_enc', 'is_default'] as const;

export class AccountRepository {
  constructor(private readonly db: Db) {}

  async list(limit: number, offset: number): Promise<Page<AccountRow>> {
    const [items, total] = await Promise.all([
      this.db.query<AccountRow>(`${SELECT} ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]),
      this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM provider_accounts'),
    ]);
    return { items: items.rows, total: total.rows[0]!.n };
  }

  async get(id: number): Promise<AccountRow | undefined> {
    const { rows } = await this.db.query<AccountRow>(`${SELECT} WHERE id = $1`, [id]);
    return rows[0];
  }

  async nameTaken(provider: string, name: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM provider_accounts WHERE provider = $1 AND name = $2', [provider, name]);
    return rows.length > 0;
  }

  /** Inserts an account; a default one stops being the default of any other account of its provider. */
  async insert(values: Record<string, unknown> & { provider: ProviderName; is_default?: boolean }): Promise<number> {
    return this.db.transaction(async (tx) => {
      if (values.is_default) await tx.query('UPDATE provider_accounts SET is_default = false WHERE provider = $1', [values.provider]);
      const { sql, params } = insertStatement('provider_accounts', values, COLUMNS);
      return (await tx.query<{ id: number }>(sql, params)).rows[0]!.id;
    });
  }

  /**
   * Updates an account and, when `clearPointTokens`, drops the stored tokens of the points the collector
   * would send to it (bound to it, or unbound while it is its provider's default); returns how many.
   */
  async update(id: number, provider: ProviderName, values: Record<string, unknown> & { is_default?: boolean }, clearPointTokens: boolean): Promise<number> {
    return this.db.transaction(async (tx) => {
      let cleared = 0;
      if (clearPointTokens) {
        // Before is_default moves: the points that used this account until now.
        const r = await tx.query(
          `UPDATE catchment_points p SET provider_token_enc = NULL
           FROM provider_accounts a
           WHERE a.id = $1 AND p.provider_token_enc IS NOT NULL
             AND (p.provider_account_id = a.id OR (p.provider_account_id IS NULL AND p.provider = a.provider AND a.is_default))`,
          [id],
        );
        cleared = r.rowCount;
      }
      if (values.is_default) await tx.query('UPDATE provider_accounts SET is_default = false WHERE provider = $1 AND id <> $2', [provider, id]);
      const stmt = updateStatement('provider_accounts', id, values, COLUMNS);
      if (stmt) await tx.query(stmt.sql, stmt.params);
      return cleared;
    });
  }

  async delete(id: number): Promise<void> {
    await this.db.query('DELETE FROM provider_accounts WHERE id = $1', [id]);
  }

  async all(): Promise<StoredAccount[]> {
    const { rows } = await this.db.query<StoredAccount>('SELECT id, provider, base_url, username, password_enc, is_default FROM provider_accounts');
    return rows;
  }
}
