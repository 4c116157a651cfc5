import { randomBytes } from 'node:crypto';
import type { Db } from '../infra/db/index.js';
import type { Page } from '../infra/db/sql.js';
import type { Cache } from '../infra/cache/index.js';
import { ALL_NAMESPACES, cached, LocalCopies } from '../infra/cache/index.js';
import type { Counters } from '../infra/counters/index.js';
import { MemoryCounters } from '../infra/counters/memory.js';
import { sha256 } from '../infra/secrets.js';
import { ConflictError, NotFoundError, TooManyRequestsError, UnauthorizedError, ValidationError } from '../errors.js';
import { LoginLockout } from './login-lockout.js';
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
/**
 * How long a process checks sessions against its own copy of a user's state without asking the cache.
 * A logout, password change or disabled user is announced to every process at once and drops the copy
 * (LocalCopies); the time only bounds a lost announcement.
 */
const SESSION_LOCAL_TRUST_MS = 1000;

interface SessionState {
  text: string;
  state: { is_active: boolean; token_version: number } | null;
}
/** Active (unrevoked) API keys a user may hold at once. */
export const MAX_API_KEYS_PER_USER = 50;
export const MAX_API_KEY_NAME = 100;
/** What `createApiKey` issues: `shk_` and 24 random bytes in base64url. Anything else is refused before any lookup. */
export const API_KEY_FORMAT = /^shk_[A-Za-z0-9_-]{32}$/;
const UNKNOWN_KEY_MS = 60_000;

export class AuthService {
  private readonly users: UserRepository;
  private readonly apiKeys: ApiKeyRepository;
  private readonly clients: ClientRepository;
  private readonly lockout: LoginLockout;
  /** This process's copies of users' session state (sessionValid runs on every request). */
  private readonly sessions: LocalCopies<SessionState>;
  /**
   * Hashes of well-formed keys that matched no active key, remembered briefly in this process only and
   * bounded: guessed keys cost one query each and never fill the shared cache.
   */
  private readonly unknownKeys = new MemoryCounters(Date.now, 1000);

  constructor(private readonly deps: { db: Db; cache: Cache; counters: Counters }) {
    this.lockout = new LoginLockout(deps.counters);
    // A key refused while its user was disabled works again as soon as the user is enabled.
    deps.cache.onInvalidate((ns) => {
      if (ns === API_KEY_NS || ns === ALL_NAMESPACES) this.unknownKeys.clear();
    });
    this.sessions = new LocalCopies<SessionState>(
      deps.cache,
      (ns) => ns === SESSION_NS,
      SESSION_LOCAL_TRUST_MS,
      cached,
      (text) => ({ text, state: JSON.parse(text) as SessionState['state'] }),
      (copy, text) => copy.text === text,
    );
    this.users = new UserRepository(deps.db);
    this.apiKeys = new ApiKeyRepository(deps.db);
    this.clients = new ClientRepository(deps.db);
  }

  async login(email: string, password: string): Promise<Session> {
    const account = email.trim().toLowerCase();
    const locked = await this.lockout.lockedFor(account);
    if (locked > 0) throw tooManyFailures(locked);
    const user = await this.users.byEmailWithHash(account);
    // Verify even for unknown users so response time does not reveal which e-mails exist.
    const ok = await verifyPassword(password, user?.password_hash ?? UNKNOWN_USER_HASH);
    if (!user || !ok || !user.is_active) {
      const nowLocked = await this.lockout.failed(account);
      if (nowLocked > 0) throw tooManyFailures(nowLocked);
      throw new UnauthorizedError('e-mail or password is wrong');
    }
    await this.lockout.succeeded(account);
    if (needsRehash(user.password_hash)) await this.users.rehash(user.id, await hashPassword(password));
    return { principal: { userId: Number(user.id), role: user.role, clientId: user.client_id === null ? null : Number(user.client_id) }, tokenVersion: user.token_version };
  }

  /** Whether a session token of that user and version is still good: the user exists, is active, and has not logged out since. */
  async sessionValid(userId: number, tokenVersion: number): Promise<boolean> {
    const { state } = await this.sessions.get(SESSION_NS, `u|${userId}`, 60, async () => JSON.stringify((await this.users.sessionState(userId)) ?? null));
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
    if (!API_KEY_FORMAT.test(key)) return null;
    const hash = sha256(key);
    if ((await this.unknownKeys.remainingMs(hash)) > 0) return null;
    const { cache } = this.deps;
    // Keyed apart from the entries of the earlier shape (a bare principal) that a shared cache may still hold.
    const field = `access|${hash}`;
    const { gen, value } = await cache.read(API_KEY_NS, field);
    cache.stats.record(value === undefined ? 'miss' : 'hit');
    if (value !== undefined && value !== 'null') return JSON.parse(value) as ApiKeyAccess;
    const u = await this.apiKeys.ownerOf(hash);
    if (!u) {
      await this.unknownKeys.hold(hash, UNKNOWN_KEY_MS);
      return null;
    }
    const access: ApiKeyAccess = {
      principal: { userId: Number(u.id), role: u.role, clientId: u.client_id === null ? null : Number(u.client_id) },
      ingestPointIds: u.point_ids?.map(Number) ?? null,
    };
    await cache.write(API_KEY_NS, field, JSON.stringify(access), 60, gen);
    return access;
  }
}

function tooManyFailures(ms: number): TooManyRequestsError {
  const seconds = Math.ceil(ms / 1000);
  return new TooManyRequestsError('LOGIN_LOCKED', `too many failed logins for this account: try again in ${seconds} s`, seconds);
}
