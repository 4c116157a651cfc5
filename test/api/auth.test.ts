import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('authentication', () => {
  it('refuses requests without or with a bad token, as problem+json', async () => {
    const none = await t.as(null, { method: 'GET', url: '/api/v1/points' });
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.body.code).toBe('UNAUTHORIZED');
    const bad = await t.as('not-a-token', { method: 'GET', url: '/api/v1/points' });
    expect(bad.status).toBe(401);
    expect(bad.body.detail).toContain('log in again');
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    const r = await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: ADMIN.email, password: 'nope' } });
    expect(r.status).toBe(401);
    expect(r.body.detail).toBe('e-mail or password is wrong');
    const unknown = await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: 'who@x.cl', password: 'nope' } });
    expect(unknown.body.detail).toBe(r.body.detail);
  });

  it('stores passwords as scrypt hashes', async () => {
    const { rows } = await t.c.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [ADMIN.email]);
    expect(rows[0]!.password_hash).toMatch(/^scrypt\$/);
    expect(rows[0]!.password_hash).not.toContain(ADMIN.password);
  });

  it('issues API keys that work like tokens until revoked', async () => {
    const { clientId } = await seedTenant(t, 'keys', 1);
    const { token } = await seedClientUser(t, clientId, 'm@keys.cl', 'machine-pw');
    const created = await t.as(token, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'scada' } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^shk_/);
    const viaKey = await t.as(key, { method: 'GET', url: '/api/v1/clients' });
    expect(viaKey.status).toBe(200);
    expect(viaKey.body.items.map((c: any) => c.id)).toEqual([clientId]);
    const listed = await t.as(token, { method: 'GET', url: '/api/v1/api-keys' });
    expect(listed.text).not.toContain(key);
    expect((await t.as(token, { method: 'DELETE', url: `/api/v1/api-keys/${created.body.id}` })).status).toBe(204);
    const after = await t.as(key, { method: 'GET', url: '/api/v1/clients' });
    expect(after.status).toBe(401);
    expect(after.body.detail).toContain('revoked');
  });

  it('requires client_id exactly for client users', async () => {
    const r = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: 'c@x.cl', password: '12345678', role: 'client' } });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('client_id');
    const dup = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: ADMIN.email, password: '12345678', role: 'admin' } });
    expect(dup.status).toBe(409);
  });

  it('/auth/me answers who is calling', async () => {
    const me = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/auth/me' });
    expect(me.body).toMatchObject({ email: ADMIN.email, role: 'admin', client_id: null });
  });
});
