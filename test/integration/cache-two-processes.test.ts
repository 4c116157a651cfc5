import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, REDIS_URL, runCli, SECRET_KEY, uniquePrefix, waitForExit, waitForHttp } from './support.js';

/** Two API processes share one PostgreSQL and one Redis: a change through one is seen by the other at once. */
let db: Awaited<ReturnType<typeof freshDatabase>>;
const procs: ChildProcess[] = [];
const A = 'http://127.0.0.1:18181';
const B = 'http://127.0.0.1:18182';
let token = '';

async function call(base: string, method: string, path: string, body?: unknown) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: (await r.json()) as any };
}

beforeAll(async () => {
  db = await freshDatabase();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL,
    CACHE_PREFIX: uniquePrefix(),
    SECRET_KEY,
    ADMIN_EMAIL: 'admin@two.cl',
    ADMIN_PASSWORD: 'two-processes',
    HOST: '127.0.0.1',
  };
  const migrated = await waitForExit(runCli(['migrate'], env));
  expect(migrated.code, migrated.stderr).toBe(0);
  procs.push(runCli(['start', '--roles', 'api'], { ...env, PORT: '18181' }));
  procs.push(runCli(['start', '--roles', 'api'], { ...env, PORT: '18182' }));
  await Promise.all([waitForHttp(`${A}/health`), waitForHttp(`${B}/health`)]);
  const login = await fetch(`${A}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@two.cl', password: 'two-processes' }),
  });
  token = ((await login.json()) as { token: string }).token;
});

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  const exits = await Promise.all(procs.map((p) => (p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.once('exit', r)))));
  expect(exits).toEqual([0, 0]); // graceful shutdown on SIGTERM
  await db?.drop();
});

describe('cache invalidation across processes', () => {
  it('a point changed through A is visible through B on the very next request', async () => {
    const client = await call(A, 'POST', '/api/v1/clients', { name: 'Two', rut: '12345678-5' });
    const project = await call(A, 'POST', '/api/v1/projects', { client_id: client.body.id, name: 'P' });
    const point = await call(A, 'POST', '/api/v1/points', {
      project_id: project.body.id, title: 'Pozo compartido', is_telemetry_active: true, provider: 'novus', frequency: 1,
    });
    expect(point.status).toBe(201);
    // B warms its cache.
    const first = await call(B, 'GET', '/api/v1/points/active?provider=novus');
    expect(first.body.points.map((p: any) => p.title)).toEqual(['Pozo compartido']);
    expect((await call(B, 'GET', '/api/v1/points/active?provider=novus')).body.total).toBe(1);
    // Change through A; the very next request to B sees it.
    await call(A, 'PATCH', `/api/v1/points/${point.body.id}`, { title: 'Renombrado en A' });
    expect((await call(B, 'GET', '/api/v1/points/active?provider=novus')).body.points[0].title).toBe('Renombrado en A');
    await call(A, 'PATCH', `/api/v1/points/${point.body.id}`, { is_telemetry_active: false });
    expect((await call(B, 'GET', '/api/v1/points/active?provider=novus')).body.total).toBe(0);
    // And the other way round, with a project change.
    await call(B, 'PATCH', `/api/v1/points/${point.body.id}`, { is_telemetry_active: true });
    expect((await call(A, 'GET', '/api/v1/points/active?provider=novus')).body.total).toBe(1);
  });
});

describe('sessions across processes', () => {
  it('a logout or a disabled user through A ends the session on B on the very next request', async () => {
    // B checks sessions against its own copy of the user's state; the logout's announcement must drop it.
    const as = async (base: string, bearer: string, method: string, path: string) =>
      (await fetch(base + path, { method, headers: { authorization: `Bearer ${bearer}` } })).status;
    const login = async (email: string) => {
      const r = await fetch(`${A}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'operator-pass-1' }),
      });
      return ((await r.json()) as { token: string }).token;
    };
    const created: number[] = [];
    for (const email of ['out@two.cl', 'off@two.cl']) {
      const u = await call(A, 'POST', '/api/v1/users', { email, password: 'operator-pass-1', role: 'operator' });
      expect(u.status).toBe(201);
      created.push(u.body.id);
    }

    const out = await login('out@two.cl');
    expect(await as(B, out, 'GET', '/api/v1/auth/me')).toBe(200);
    expect(await as(B, out, 'GET', '/api/v1/auth/me')).toBe(200); // from B's copy now
    expect(await as(A, out, 'POST', '/api/v1/auth/logout')).toBe(204);
    expect(await as(B, out, 'GET', '/api/v1/auth/me')).toBe(401);

    const off = await login('off@two.cl');
    expect(await as(B, off, 'GET', '/api/v1/auth/me')).toBe(200);
    expect((await call(A, 'PATCH', `/api/v1/users/${created[1]}`, { is_active: false })).status).toBe(200);
    expect(await as(B, off, 'GET', '/api/v1/auth/me')).toBe(401);
  });
});
