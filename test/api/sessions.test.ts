import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, nextRut, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { hashPassword } from '../../src/auth/password.js';
import { store } from './query.support.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({
    app: { healthChecks: { broker: async () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:9092 (user kafka-admin)')) } },
  });
});
afterAll(async () => t.close());

let seq = 0;
/** A client user of a fresh tenant and their token. */
async function clientUser() {
  const { clientId, points } = await seedTenant(t, `sess-${++seq}`, 1);
  const email = `u${seq}@sess.cl`;
  const { id, token } = await seedClientUser(t, clientId, email, 'user-password-1');
  return { id, email, clientId, points, token };
}

const listPoints = (token: string) => t.as(token, { method: 'GET', url: '/api/v1/points' });

describe('sessions end at once', () => {
  it("a disabled user's token and API key stop working on the next request", async () => {
    const u = await clientUser();
    const key = (await t.as(u.token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'scada' } })).body.key as string;
    expect((await listPoints(u.token)).status).toBe(200); // now cached
    expect((await listPoints(key)).status).toBe(200);

    const off = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/users/${u.id}`, payload: { is_active: false } });
    expect(off.status).toBe(200);
    expect(off.body.is_active).toBe(false);
    const r = await listPoints(u.token);
    expect(r.status).toBe(401);
    expect(r.body.detail).toContain('session has ended');
    expect((await listPoints(key)).status).toBe(401);
    expect((await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: 'user-password-1' } })).status).toBe(401);

    // Enabling again does not revive the old token; a new login works.
    expect((await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/users/${u.id}`, payload: { is_active: true } })).status).toBe(200);
    expect((await listPoints(u.token)).status).toBe(401);
    expect((await listPoints(await t.login(u.email, 'user-password-1'))).status).toBe(200);
  });

  it("a deleted user's token stops listing points at once", async () => {
    const u = await clientUser();
    expect((await listPoints(u.token)).body.items).toHaveLength(1);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/users/${u.id}` })).status).toBe(204);
    expect((await listPoints(u.token)).status).toBe(401);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/users/${u.id}` })).status).toBe(404);
  });

  it('only admins manage users, and not their own account', async () => {
    const u = await clientUser();
    expect((await t.as(u.token, { method: 'PATCH', url: `/api/v1/users/${u.id}`, payload: { is_active: false } })).status).toBe(403);
    expect((await t.as(u.token, { method: 'DELETE', url: `/api/v1/users/${u.id}` })).status).toBe(403);
    const me = (await t.as(t.adminToken, { method: 'GET', url: '/api/v1/auth/me' })).body.id as number;
    const self = await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/users/${me}` });
    expect(self.status).toBe(409);
    expect(self.body.code).toBe('USER_IS_YOU');
    expect((await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/users/${me}`, payload: { is_active: false } })).status).toBe(409);
    expect((await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/users/${u.id}`, payload: {} })).status).toBe(400);
  });

  it('logout ends the token; API keys cannot log out', async () => {
    const u = await clientUser();
    const out = await t.as(u.token, { method: 'POST', url: '/api/v1/auth/logout' });
    expect(out.status).toBe(204);
    expect((await listPoints(u.token)).status).toBe(401);
    expect((await t.as(u.token, { method: 'POST', url: '/api/v1/auth/logout' })).status).toBe(401);

    const fresh = await t.login(u.email, 'user-password-1');
    const key = (await t.as(fresh, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'k' } })).body.key as string;
    const byKey = await t.as(key, { method: 'POST', url: '/api/v1/auth/logout' });
    expect(byKey.status).toBe(400);
    expect((await listPoints(fresh)).status).toBe(200);
  });

  it('a password change checks the current password, ends old tokens and answers a new one', async () => {
    const u = await clientUser();
    const wrong = await t.as(u.token, { method: 'POST', url: '/api/v1/auth/password', payload: { current_password: 'nope', new_password: 'another-password' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.field ?? wrong.body.details?.field).toBe('current_password');
    const short = await t.as(u.token, { method: 'POST', url: '/api/v1/auth/password', payload: { current_password: 'user-password-1', new_password: 'short' } });
    expect(short.status).toBe(400);

    const ok = await t.as(u.token, { method: 'POST', url: '/api/v1/auth/password', payload: { current_password: 'user-password-1', new_password: 'another-password' } });
    expect(ok.status).toBe(200);
    expect((await listPoints(u.token)).status).toBe(401);
    expect((await listPoints(ok.body.token)).status).toBe(200);
    expect((await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: 'user-password-1' } })).status).toBe(401);
    expect((await listPoints(await t.login(u.email, 'another-password'))).status).toBe(200);
  });
});

describe('clients and their users', () => {
  it('deleting a client with users is refused (409) and deletes nobody', async () => {
    const client = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'With users', rut: nextRut() } });
    const user = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'stay@users.cl', password: 'user-password-1', role: 'client', client_id: client.body.id },
    });
    const del = await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/clients/${client.body.id}` });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('CLIENT_HAS_USERS');
    expect((await t.as(t.adminToken, { method: 'GET', url: `/api/v1/clients/${client.body.id}` })).status).toBe(200);
    await t.login('stay@users.cl', 'user-password-1');

    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/users/${user.body.id}` })).status).toBe(204);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/clients/${client.body.id}` })).status).toBe(204);
  });
});

describe('API key limits', () => {
  it('refuses a name over 100 characters and more than 50 active keys', async () => {
    const u = await clientUser();
    const long = await t.as(u.token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x'.repeat(101) } });
    expect(long.status).toBe(400);
    for (let i = 0; i < 50; i++) {
      expect((await t.as(u.token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: `k${i}` } })).status).toBe(201);
    }
    const over = await t.as(u.token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'one too many' } });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('API_KEY_LIMIT');
    const first = (await t.as(u.token, { method: 'GET', url: '/api/v1/api-keys' })).body.items[0].id;
    expect((await t.as(u.token, { method: 'DELETE', url: `/api/v1/api-keys/${first}` })).status).toBe(204);
    expect((await t.as(u.token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'replacement' } })).status).toBe(201);
  });
});

describe('request ids, headers, health', () => {
  it('keeps a safe x-request-id and replaces any other', async () => {
    const good = await t.as(null, { method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-42.a_b' } });
    expect(good.headers['x-request-id']).toBe('trace-42.a_b');
    for (const bad of ['a b', 'x'.repeat(65), 'evil\u00e9', '{"level":60}']) {
      const r = await t.as(null, { method: 'GET', url: '/health', headers: { 'x-request-id': bad } });
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('sends security headers, and the Swagger UI its own CSP', async () => {
    const api = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(String(api.headers['content-security-policy'])).toContain("default-src 'self'");
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.statusCode).toBe(200);
    const csp = String(docs.headers['content-security-policy']);
    // The page loads only same-origin scripts, which its CSP allows; its images may be data: URLs.
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const scripts = docs.body.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(s).toMatch(/src="\/docs\/static\//);
  });

  it('sets a request timeout', () => {
    expect(t.app.server.requestTimeout).toBe(30_000);
  });

  it('/health hides why a part is down from anonymous callers, not from staff', async () => {
    const anon = await t.as(null, { method: 'GET', url: '/health' });
    expect(anon.status).toBe(503);
    expect(anon.body.checks.broker).toEqual({ status: 'down', latency_ms: expect.any(Number) });
    expect(anon.text).not.toContain('10.1.2.3');
    const staff = await t.as(t.adminToken, { method: 'GET', url: '/health' });
    expect(staff.body.checks.broker.detail).toContain('ECONNREFUSED');
  });
});

describe('password cost upgrade', () => {
  it('re-hashes an older, cheaper hash at the next successful login, transparently', async () => {
    const u = await clientUser();
    await t.c.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [u.id, await hashPassword('user-password-1', { N: 16384, r: 8, p: 1 })]);
    expect((await listPoints(u.token)).status).toBe(200); // a re-hash is no new password: sessions stay
    await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: 'wrong-password' } });
    const hashOf = async () => (await t.c.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [u.id])).rows[0]!.password_hash;
    expect(await hashOf()).toMatch(/^scrypt\$16384\$/);
    const token = await t.login(u.email, 'user-password-1');
    expect(await hashOf()).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await listPoints(token)).status).toBe(200);
    expect((await listPoints(u.token)).status).toBe(200);
    await t.login(u.email, 'user-password-1');
  });
});

describe('CSV export', () => {
  it('neutralises text cells that a spreadsheet would run, and keeps negative numbers as numbers', async () => {
    const { points } = await seedTenant(t, 'csv-inject', 1);
    const p = points[0]!;
    await store(t.c.db, [
      { point_id: p, variable: 'estado', ts: new Date('2026-03-01T10:00:00Z'), value: '=HYPERLINK("http://evil","x")' },
      { point_id: p, variable: 'estado', ts: new Date('2026-03-01T11:00:00Z'), value: '@SUM(A1)' },
      { point_id: p, variable: 'estado', ts: new Date('2026-03-01T12:00:00Z'), value: 'ok' },
      { point_id: p, variable: 'nivel', ts: new Date('2026-03-01T10:00:00Z'), value: -1.5 },
    ]);
    const csv = async (variable: string) =>
      (await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${p}/measurements?variable=${variable}&bucket=raw&format=csv&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z` })).text;
    const estado = (await csv('estado')).trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    expect(estado).toEqual([`"'=HYPERLINK(""http://evil""`, `"'@SUM(A1)"`, '"ok"']);
    expect((await csv('nivel')).trim().split('\n')[1]!.split(',')[3]).toBe('-1.5');
  });
});
