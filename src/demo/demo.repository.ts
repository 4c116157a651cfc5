import type { Db } from '../infra/db/index.js';
import type { ProviderName } from '../providers/provider.js';

/** The few reads and writes the demo set-up needs beyond the registry services. */
export class DemoRepository {
  constructor(private readonly db: Db) {}

  async clientCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM clients');
    return rows[0]!.n;
  }

  async firstAdminId(): Promise<number | null> {
    const { rows } = await this.db.query<{ id: number }>("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1");
    return rows[0] ? Number(rows[0].id) : null;
  }

  /**
   * The demo account of a provider points at `baseUrl` (the simulator's port changes at every start);
   * created on first use, the provider's default when it has none.
   */
  async upsertDemoAccount(a: { provider: ProviderName; name: string; baseUrl: string; username: string | null; passwordEnc: string | null }): Promise<void> {
    const { rows } = await this.db.query<{ id: number }>('SELECT id FROM provider_accounts WHERE provider = $1 AND name = $2', [a.provider, a.name]);
    if (rows[0]) {
      await this.db.query('UPDATE provider_accounts SET base_url = $2, updated_at = now() WHERE id = $1', [rows[0].id, a.baseUrl]);
      return;
    }
    await this.db.query(
      `INSERT INTO provider_accounts (provider, name, base_url, username, password_enc, is_default)
       VALUES ($1, $2, $3, $4, $5, NOT EXISTS (SELECT 1 FROM provider_accounts WHERE provider = $1 AND is_default))`,
      [a.provider, a.name, a.baseUrl, a.username, a.passwordEnc],
    );
  }
}
