import { randomBytes } from 'node:crypto';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { Cache } from '../infra/cache/index.js';
import { cached } from '../infra/cache/index.js';
import { sha256 } from '../infra/secrets.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import { ClientRepository } from '../registry/client.repository.js';
import { ApiKeyRepository, type ApiKeyRow } from './api-key.repository.js';
import { hashPassword, needsRehash, UNKNOWN_USER_HASH, verifyPassword } from './password.js';
import { type Principal, type Role, requireRole } from './principal.js';
import { UserRepository, type UserRow } from './user.repository.js';

export type { UserRow } from './user.repository.js';

export interface ApiKeyAccess {
  principal: Principal;
  /** An ingest key's points: it may push readings to these and do nothing else. Null for a full key. */
  ingestPointIds: number[] | null;
}

/** A signed-in user: who, and the token version the session token carries. */
export interface Session {
  principal: Principal;
  tokenVersion: number;
}

const API_KEY_NS = 'api-keys';
/** Per user: whether active and the current token version (dropped on every change of either). */
const SESSION_NS = 'user-sessions';
/** Active (unrevoked) API keys a user may hold at once. */
export const MAX_API_KEYS_PER_USER = 50;
export const MAX_API_KEY_NAME = 100;

export class AuthService {
  private readonly users: UserRepository;
  private readonly apiKeys: ApiKeyRepository;
  private readonly clients: ClientRepository;

  constructor(private readonly deps: { db: Db; cache: Cache }) {
    this.users = new UserRepository(deps.db);
    this.apiKeys = new ApiKeyRepository(deps.db);
    this.clients = new ClientRepository(deps.db);
  }

  async login(email: string, password: string): Promise<Session> {
    const user = await this.users.byEmailWithHash(email.trim().toLowerCase());
    // Verify even for unknown users so response time does not reveal which e-mails exist.
    const ok = await verifyPassword(password, user?.password_hash ?? UNKNOWN_USER_HASH);
    if (!user || !ok || !user.is_active) throw new UnauthorizedError('e-mail or password is wrong');
    if (needsRehash(user.password_hash)) await this.users.rehash(user.id, await hashPassword(password));
    return { principal: { userId: Number(user.id), role: user.role, clientId: user.client_id === null ? null : Number(user.client_id) }, tokenVersion: user.token_version };
  }

  /** Whether a session token of that user and version is still good: the user exists, is active, and has not logged out since. */
  async sessionValid(userId: number, tokenVersion: number): Promise<boolean> {
    const text = await cached(this.deps.cache, SESSION_NS, `u|${userId}`, 60, async () => JSON.stringify((await this.users.sessionState(userId)) ?? null));
    const state = JSON.parse(text) as { is_active: boolean; token_version: number } | null;
    return state !== null && state.is_active && state.token_version === tokenVersion;
  }

  /** Ends every session of the user (logout): tokens issued before stop working at once. */
  async logout(actor: Principal): Promise<void> {
    await this.users.endSessions(actor.userId);
    await this.deps.cache.invalidate(SESSION_NS);
  }

  /** Checks the current password, stores the new one and ends every other session; returns the new session. */
  async changePassword(actor: Principal, currentPassword: string, newPassword: string): Promise<Session> {
    const stored = await this.users.passwordHash(actor.userId);
    if (!stored || !(await verifyPassword(currentPassword, stored))) {
      throw new ValidationError('current_password is wrong', 'current_password');
    }
    if (newPassword === currentPassword) throw new ValidationError('new_password must differ from the current password', 'new_password');
    const tokenVersion = await this.users.setPassword(actor.userId, await hashPassword(newPassword));
    await this.deps.cache.invalidate(SESSION_NS);
    return { principal: actor, tokenVersion };
  }

  /** Admin: rename, disable (ends the user's sessions and API keys at once) or enable a user. */
  async updateUser(actor: Principal, id: number, patch: { name?: string | null; is_active?: boolean }): Promise<UserRow> {
    requireRole(actor, 'admin');
    if (id === actor.userId && patch.is_active === false) {
      throw new ConflictError('USER_IS_YOU', 'you cannot disable your own account; ask another admin');
    }
    const row = await this.users.update(id, patch);
    if (!row) throw new NotFoundError('USER_NOT_FOUND', `user ${id} does not exist`);
    await this.deps.cache.invalidateMany([SESSION_NS, API_KEY_NS]);
    return row;
  }

  /** Admin: deletes a user with their API keys; their tokens stop working at once. */
  async deleteUser(actor: Principal, id: number): Promise<void> {
    requireRole(actor, 'admin');
    if (id === actor.userId) throw new ConflictError('USER_IS_YOU', 'you cannot delete your own account; ask another admin');
    if (!(await this.users.delete(id))) throw new NotFoundError('USER_NOT_FOUND', `user ${id} does not exist`);
    await this.deps.cache.invalidateMany([SESSION_NS, API_KEY_NS]);
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
    if (name.trim() === '' || name.length > MAX_API_KEY_NAME) {
      throw new ValidationError(`name must be 1 to ${MAX_API_KEY_NAME} characters`, 'name');
    }
    if ((await this.apiKeys.countActive(actor.userId)) >= MAX_API_KEYS_PER_USER) {
      throw new ConflictError('API_KEY_LIMIT', `you already hold ${MAX_API_KEYS_PER_USER} active API keys; revoke one first (DELETE /api/v1/api-keys/{id})`);
    }
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
