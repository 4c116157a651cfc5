import type { Db } from '../infra/db/index.js';
import type { SecretBox } from '../infra/secrets.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { RegistryEvents } from '../registry/events.js';
import type { ProviderAccount, ProviderName } from './provider.js';

export interface AccountRow {
  id: number;
  provider: ProviderName;
  name: string;
  base_url: string;
  username: string | null;
  has_password: boolean;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface AccountInput {
  provider?: ProviderName;
  name?: string;
  base_url?: string;
  username?: string | null;
  password?: string | null;
  is_default?: boolean;
}

const SELECT = `SELECT id, provider, name, base_url, username, password_enc IS NOT NULL AS has_password, is_default,
  created_at, updated_at FROM provider_accounts`;
const COLUMNS = ['provider', 'name', 'base_url', 'username', 'password_enc', 'is_default'] as const;

/** Provider API accounts: base URL and (Twin) login; the password is stored encrypted and never returned. */
export class ProviderAccountService {
  constructor(private readonly deps: { db: Db; secrets: SecretBox; events: RegistryEvents }) {}

  async list(actor: Principal, q: { limit: number; offset: number }): Promise<Page<AccountRow>> {
    requireStaff(actor);
    const [items, total] = await Promise.all([
      this.deps.db.query<AccountRow>(`${SELECT} ORDER BY id LIMIT $1 OFFSET $2`, [q.limit, q.offset]),
      this.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM provider_accounts'),
    ]);
    return { items: items.rows, total: total.rows[0]!.n };
  }

  async get(actor: Principal, id: number): Promise<AccountRow> {
    requireStaff(actor);
    const { rows } = await this.deps.db.query<AccountRow>(`${SELECT} WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('PROVIDER_ACCOUNT_NOT_FOUND', `provider account ${id} does not exist`);
    return rows[0];
  }

  async create(actor: Principal, input: AccountInput): Promise<AccountRow> {
    requireStaff(actor);
    const values = this.prepare(input);
    await this.ensureNameFree(input.provider!, input.name!);
    const id = await this.deps.db.transaction(async (tx) => {
      if (input.is_default) await tx.query('UPDATE provider_accounts SET is_default = false WHERE provider = $1', [input.provider]);
      const { sql, params } = insertStatement('provider_accounts', values, COLUMNS);
      return (await tx.query<{ id: number }>(sql, params)).rows[0]!.id;
    });
    await this.deps.events.registryChanged();
    return this.get(actor, id);
  }

  async update(actor: Principal, id: number, input: AccountInput): Promise<AccountRow> {
    const current = await this.get(actor, id);
    const values = this.prepare(input);
    if ((input.name && input.name !== current.name) || (input.provider && input.provider !== current.provider)) {
      await this.ensureNameFree(input.provider ?? current.provider, input.name ?? current.name);
    }
    await this.deps.db.transaction(async (tx) => {
      if (input.is_default) await tx.query('UPDATE provider_accounts SET is_default = false WHERE provider = $1 AND id <> $2', [input.provider ?? current.provider, id]);
      const stmt = updateStatement('provider_accounts', id, values, COLUMNS);
      if (stmt) await tx.query(stmt.sql, stmt.params);
    });
    await this.deps.events.registryChanged();
    return this.get(actor, id);
  }

  async remove(actor: Principal, id: number): Promise<void> {
    await this.get(actor, id);
    await this.deps.db.query('DELETE FROM provider_accounts WHERE id = $1', [id]);
    await this.deps.events.registryChanged();
  }

  /** Decrypted accounts by id, and the default account id per provider (collector use only). */
  async forCollection(): Promise<{ byId: Map<number, ProviderAccount & { provider: ProviderName }>; defaults: Map<ProviderName, number> }> {
    const { rows } = await this.deps.db.query<{ id: number; provider: ProviderName; base_url: string; username: string | null; password_enc: string | null; is_default: boolean }>(
      'SELECT id, provider, base_url, username, password_enc, is_default FROM provider_accounts',
    );
    const byId = new Map<number, ProviderAccount & { provider: ProviderName }>();
    const defaults = new Map<ProviderName, number>();
    for (const r of rows) {
      byId.set(Number(r.id), {
        provider: r.provider,
        baseUrl: r.base_url,
        username: r.username ?? undefined,
        password: r.password_enc ? this.deps.secrets.decrypt(r.password_enc) : undefined,
      });
      if (r.is_default) defaults.set(r.provider, Number(r.id));
    }
    return { byId, defaults };
  }

  private prepare(input: AccountInput): Record<string, unknown> {
    const { password, ...rest } = input;
    if (input.base_url !== undefined && !/^https?:\/\/\S+$/.test(input.base_url)) {
      throw new ValidationError('base_url must be an http(s) URL', 'base_url');
    }
    const values: Record<string, unknown> = { ...rest };
    if (password !== undefined) values.password_enc = password === null ? null : this.deps.secrets.encrypt(password);
    return values;
  }

  private async ensureNameFree(provider: string, name: string) {
    const { rows } = await this.deps.db.query('SELECT 1 FROM provider_accounts WHERE provider = $1 AND name = $2', [provider, name]);
    if (rows.length > 0) throw new ConflictError('PROVIDER_ACCOUNT_EXISTS', `a ${provider} account named "${name}" already exists`);
  }
}
