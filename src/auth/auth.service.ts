import { randomBytes } from 'node:crypto';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { Cache } from '../infra/cache/index.js';
import { cached } from '../infra/cache/index.js';
import { sha256 } from '../infra/secrets.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import { ClientRepository } from '../registry/client.repository.js';
import { ApiKeyRepository, type ApiKeyRow } from './api-key.repository.js';
import { hashPassword, verifyPassword } from './password.js';
import { type Principal, type Role, requireRole } from './principal.js';
import { UserRepository, type UserRow } from './user.repository.js';

export type { UserRow } from './user.repository.js';

export interface ApiKeyAccess {
  principal: Principal;
  /** An ingest key's points: it may push readings to these and do nothing else. Null for a full key. */
  ingestPointIds: number[] | null;
}

const API_KEY_NS = 'api-keys';

export class AuthService {
  private readonly users: UserRepository;
  private readonly apiKeys: ApiKeyRepository;
  private readonly clients: ClientRepository;

  constructor(private readonly deps: { db: Db; cache: Cache }) {
    this.users = new UserRepository(deps.db);
    this.apiKeys = new ApiKeyRepository(deps.db);
    this.clients = new ClientRepository(deps.db);
  }

  async login(email: string, password: string): Promise<Principal> {
    const user = await this.users.byEmailWithHash(email.trim().toLowerCase());
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
    if (input.client_id && !(await this.clients.exists(input.client_id))) {
      throw new ValidationError(`client_id ${input.client_id} does not exist`, 'client_id');
    }
    if (await this.users.emailTaken(email)) throw new ConflictError('USER_EXISTS', `a user with e-mail ${email} already exists`);
    const passwordHash = await hashPassword(input.password);
    return this.users.insert({ email, name: input.name ?? null, passwordHash, role: input.role, clientId: input.client_id ?? null });
  }

  async listUsers(actor: Principal, limit: number, offset: number): Promise<Page<UserRow>> {
    requireRole(actor, 'admin');
    return this.users.list(limit, offset);
  }

  async getUser(id: number): Promise<UserRow> {
    const user = await this.users.get(id);
    if (!user) throw new NotFoundError('USER_NOT_FOUND', `user ${id} does not exist`);
    return user;
  }

  countAdmins(): Promise<number> {
    return this.users.countWithRole('admin');
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
    const id = await this.apiKeys.insert({ userId: actor.userId, name, prefix, keyHash: sha256(key), ingestPointIds });
    return { id, name, key, prefix };
  }

  listApiKeys(actor: Principal): Promise<Page<ApiKeyRow>> {
    return this.apiKeys.listOf(actor.userId);
  }

  async revokeApiKey(actor: Principal, id: number): Promise<void> {
    if (!(await this.apiKeys.revoke(actor.userId, id))) {
      throw new NotFoundError('API_KEY_NOT_FOUND', `API key ${id} does not exist or is already revoked`);
    }
    await this.deps.cache.invalidate(API_KEY_NS);
  }

  /** The key's owner, and for an ingest key the points it may push to (null for a full key). */
  async principalForApiKey(key: string): Promise<ApiKeyAccess | null> {
    const hash = sha256(key);
    // Keyed apart from the entries of the earlier shape (a bare principal) that a shared cache may still hold.
    const text = await cached(this.deps.cache, API_KEY_NS, `access|${hash}`, 60, async () => {
      const u = await this.apiKeys.ownerOf(hash);
      const access: ApiKeyAccess | null = u
        ? { principal: { userId: Number(u.id), role: u.role, clientId: u.client_id === null ? null : Number(u.client_id) }, ingestPointIds: u.point_ids?.map(Number) ?? null }
        : null;
      return JSON.stringify(access);
    });
    return JSON.parse(text) as ApiKeyAccess | null;
  }
}
