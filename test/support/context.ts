import type { FastifyInstance, InjectOptions } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildContainer, type Container } from '../../src/container.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { createLogger } from '../../src/infra/logger.js';
import { rutCheckDigit } from '../../src/registry/rut.js';

export interface TestContext {
  c: Container;
  app: FastifyInstance;
  adminToken: string;
  /** inject with a bearer token; returns status, parsed JSON (when JSON) and headers. */
  as(token: string | null, opts: InjectOptions): Promise<{ status: number; body: any; headers: Record<string, unknown>; text: string }>;
  login(email: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-1' };

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    // Every injected request comes from 127.0.0.1: a login limit per IP far above what a suite needs.
    ...loadConfig({ SECRET_KEY: 'test-secret-key-test-secret-key-0123456789', LOG_LEVEL: 'silent', DATA_DIR: '/tmp/smarthydro-test', LOGIN_RATE_LIMIT: '10000' }),
    ...overrides,
  };
}

/** A fresh in-memory PGlite database with migrations, an admin, and the HTTP app (no listening socket). */
export async function createTestContext(
  opts: { config?: Partial<Config>; app?: AppOptions; memoryDb?: boolean } = {},
): Promise<TestContext> {
  const cfg = testConfig(opts.config);
  const c = await buildContainer(cfg, { logger: createLogger('silent'), memoryDb: opts.memoryDb ?? !cfg.databaseUrl });
  await c.auth.createUser('system', { ...ADMIN, role: 'admin' });
  const app = await buildApp(c, opts.app);
  const as: TestContext['as'] = async (token, o) => {
    const res = await app.inject({
      ...o,
      headers: { ...(o.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const type = String(res.headers['content-type'] ?? '');
    const body = /json/.test(type) && res.body ? JSON.parse(res.body) : undefined;
    return { status: res.statusCode, body, headers: res.headers, text: res.body };
  };
  const login = async (email: string, password: string) => {
    const r = await as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (r.status !== 200) throw new Error(`login failed for ${email}: ${r.text}`);
    return r.body.token as string;
  };
  const adminToken = await login(ADMIN.email, ADMIN.password);
  return {
    c,
    app,
    adminToken,
    as,
    login,
    async close() {
      await app.close();
      await c.close();
    },
  };
}

let rutSeq = 50000000;
/** A fresh valid RUT for each call. */
export function nextRut(): string {
  const body = String(rutSeq++);
  return `${body}-${rutCheckDigit(body)}`;
}

/** Creates a client, a project and `n` points under the admin; returns their ids. */
export async function seedTenant(t: TestContext, name: string, n = 2, coords: [number, number] = [-33.45, -70.66]) {
  const client = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name, rut: nextRut() } });
  if (client.status !== 201) throw new Error(client.text);
  const project = await t.as(t.adminToken, {
    method: 'POST',
    url: '/api/v1/projects',
    payload: { client_id: client.body.id, name: `${name} project` },
  });
  if (project.status !== 201) throw new Error(project.text);
  const points: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/points',
      payload: {
        project_id: project.body.id,
        title: `${name} well ${i + 1}`,
        latitude: coords[0] + i * 0.01,
        longitude: coords[1] + i * 0.01,
        is_telemetry_active: true,
        provider: 'twin',
        frequency: 5,
        provider_device: `dev-${name}-${i}`,
      },
    });
    if (p.status !== 201) throw new Error(p.text);
    points.push(p.body.id);
  }
  return { clientId: client.body.id as number, projectId: project.body.id as number, points };
}

/** Creates, through the admin, a user with role client for `clientId` and logs it in. */
export async function seedClientUser(t: TestContext, clientId: number, email: string, password: string) {
  const created = await t.as(t.adminToken, {
    method: 'POST',
    url: '/api/v1/users',
    payload: { email, password, role: 'client', client_id: clientId },
  });
  if (created.status !== 201) throw new Error(created.text);
  return { id: created.body.id as number, token: await t.login(email, password), created };
}
