import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN, createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { sha256 } from '../../src/infra/secrets.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ config: { loginRateLimit: 10 } });
});
afterAll(async () => t.close());

const login = (email: string, password: string, ip: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

describe('login limits', () => {
  it('allows 10 logins per minute per IP, then answers 429 with Retry-After; another IP is not affected', async () => {
    for (let i = 0; i < 10; i++) expect((await login(ADMIN.email, ADMIN.password, '10.0.0.1')).statusCode).toBe(200);
    const r = await login(ADMIN.email, ADMIN.password, '10.0.0.1');
    expect(r.statusCode).toBe(429);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(r.body).code).toBe('RATE_LIMITED');
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await login(ADMIN.email, ADMIN.password, '10.0.0.2')).statusCode).toBe(200);
  });

  it('locks an account after 5 failed logins, even for the right password, whatever the IP', async () => {
    const { clientId } = await seedTenant(t, 'lockout', 0);
    await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: 'victim@lock.cl', password: 'right-password', role: 'client', client_id: clientId } });
    for (let i = 0; i < 4; i++) expect((await login('victim@lock.cl', `wrong-${i}`, `10.1.0.${i}`)).statusCode).toBe(401);
    const fifth = await login('Victim@Lock.cl', 'wrong-5', '10.1.0.5');
    expect(fifth.statusCode).toBe(429);
    expect(JSON.parse(fifth.body).code).toBe('LOGIN_LOCKED');
    expect(fifth.headers['retry-after']).toBe('30');
    const right = await login('victim@lock.cl', 'right-password', '10.1.0.6');
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    // Other accounts still log in; an unknown e-mail is locked the same way (nothing tells it apart).
    expect((await login(ADMIN.email, ADMIN.password, '10.1.0.7')).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login('nobody@lock.cl', 'x', '10.2.0.1')).statusCode).toBe(401);
    expect((await login('nobody@lock.cl', 'x', '10.2.0.2')).statusCode).toBe(429);
  });
});

describe('unknown API keys', () => {
  it('refuses a malformed key before any lookup', async () => {
    const query = vi.spyOn(t.c.db, 'query');
    try {
      for (const key of ['shk_', 'shk_short', `shk_${'a'.repeat(33)}`, `shk_${'a'.repeat(31)}!`]) {
        const r = await t.as(key, { method: 'GET', url: '/api/v1/points' });
        expect(r.status).toBe(401);
      }
      expect(query).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
    }
  });

  it('looks a well-formed unknown key up once and never stores it in the shared cache', async () => {
    const key = `shk_${'Z'.repeat(32)}`;
    const query = vi.spyOn(t.c.db, 'query');
    try {
      for (let i = 0; i < 3; i++) expect((await t.as(key, { method: 'GET', url: '/api/v1/points' })).status).toBe(401);
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }
    expect((await t.c.cache.read('api-keys', `access|${sha256(key)}`)).value).toBeUndefined();

    const real = (await t.as(t.adminToken, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'real' } })).body.key as string;
    expect(real).toMatch(/^shk_[A-Za-z0-9_-]{32}$/);
    expect((await t.as(real, { method: 'GET', url: '/api/v1/points' })).status).toBe(200);
    expect((await t.c.cache.read('api-keys', `access|${sha256(real)}`)).value).toBeDefined();
  });
});
