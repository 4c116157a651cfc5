import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { SecretBox } from '../infra/secrets.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import type { RegistryEvents } from '../registry/events.js';
import { AccountRepository, type AccountRow } from './account.repository.js';
import type { AccountPatch } from './account.schemas.js';
import type { ProviderAccount, ProviderName } from './provider.js';
import { hostAllowed, originChanged, originOf } from './account.rules.js';

export type { AccountRow } from './account.repository.js';
export type AccountInput = Static<typeof AccountPatch>;

/** Provider API accounts: base URL and (Twin) login; the password is stored encrypted and never returned. */
export class ProviderAccountService {
  private readonly repo: AccountRepository;

  /** `hostAllowlist`: the only hosts a base_url may name (PROVIDER_HOST_ALLOWLIST); undefined: any host. */
  constructor(private readonly deps: { db: Db; secrets: SecretBox; events: RegistryEvents; hostAllowlist?: readonly string[] }) {
    this.repo = new AccountRepository(deps.db);
  }

  async list(actor: Principal, q: { limit: number; offset: number }): Promise<Page<AccountRow>> {
    requireStaff(actor);
    return this.repo.list(q.limit, q.offset);
  }

  async get(actor: Principal, id: number): Promise<AccountRow> {
    requireStaff(actor);
    const row = await this.repo.get(id);
    if (!row) throw new NotFoundError('PROVIDER_ACCOUNT_NOT_FOUND', `provider account ${id} does not exist`);
    return row;
  }

  async create(actor: Principal, input: AccountInput): Promise<AccountRow> {
    requireStaff(actor);
    if (!input.provider) throw new ValidationError('provider is required', 'provider');
    if (!input.name) throw new ValidationError('name is required', 'name');
    const values = this.prepare(input);
    await this.ensureNameFree(input.provider, input.name);
    const id = await this.repo.insert({ ...values, provider: input.provider });
    await this.deps.events.registryChanged();
    return this.get(actor, id);
  }

  /**
   * Changing base_url to another origin (host, scheme or port) drops the stored password unless the same
   * request sends one (null included), and the stored tokens of the points using the account: secrets
   * given for one server are never sent to another. The answer says what was dropped.
   */
  async update(actor: Principal, id: number, input: AccountInput): Promise<AccountRow> {
    const current = await this.get(actor, id);
    const values = this.prepare(input);
    if ((input.name && input.name !== current.name) || (input.provider && input.provider !== current.provider)) {
      await this.ensureNameFree(input.provider ?? current.provider, input.name ?? current.name);
    }
    const moved = input.base_url !== undefined && originChanged(current.base_url, input.base_url);
    const passwordCleared = moved && input.password === undefined && current.has_password;
    if (passwordCleared) values.password_enc = null;
    const tokensCleared = await this.repo.update(id, input.provider ?? current.provider, values, moved);
    await this.deps.events.registryChanged();
    const row = await this.get(actor, id);
    return moved ? { ...row, ...(passwordCleared ? { password_cleared: true } : {}), point_tokens_cleared: tokensCleared } : row;
  }

  async remove(actor: Principal, id: number): Promise<void> {
    await this.get(actor, id);
    await this.repo.delete(id);
    await this.deps.events.registryChanged();
  }

  /** Decrypted accounts by id, and the default account id per provider (collector use only). */
  async forCollection(): Promise<{ byId: Map<number, ProviderAccount & { provider: ProviderName }>; defaults: Map<ProviderName, number> }> {
    const byId = new Map<number, ProviderAccount & { provider: ProviderName }>();
    const defaults = new Map<ProviderName, number>();
    for (const r of await this.repo.all()) {
      // An account stored before the allowlist was set, naming a host outside it, is not used.
      if (!hostAllowed(r.base_url, this.deps.hostAllowlist)) continue;
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

  private prepare(input: AccountInput): Record<string, unknown> & { is_default?: boolean } {
    const { password, ...rest } = input;
    if (input.base_url !== undefined) {
      if (!/^https?:\/\/\S+$/.test(input.base_url) || originOf(input.base_url) === null) {
        throw new ValidationError('base_url must be an http(s) URL', 'base_url');
      }
      if (!hostAllowed(input.base_url, this.deps.hostAllowlist)) {
        throw new ValidationError(`base_url must name one of the allowed hosts (${this.deps.hostAllowlist!.join(', ')})`, 'base_url');
      }
    }
    const values: Record<string, unknown> & { is_default?: boolean } = { ...rest };
    if (password !== undefined) values.password_enc = password === null ? null : this.deps.secrets.encrypt(password);
    return values;
  }

  private async ensureNameFree(provider: string, name: string) {
    if (await this.repo.nameTaken(provider, name)) {
      throw new ConflictError('PROVIDER_ACCOUNT_EXISTS', `a ${provider} account named "${name}" already exists`);
    }
  }
}
