import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createTestContext, type TestContext } from '../support/context.js';
import { REDIS_URL, uniquePrefix } from './support.js';

/**
 * Two API processes (each with its own embedded database, the same admin) share one Redis: the login
 * limit per IP and the lockout per account are counted once for both, and the keys live under the
 * deployment's CACHE_PREFIX.
 */
let a: TestContext;
let b: TestContext;
const prefix = uniquePrefix();

beforeAll(async () => {
  const config = { redisUrl: REDIS_URL, cachePrefix: prefix, loginRateLimit: 10 };
  [a, b] = await Promise.all([createTestContext({ config }), createTestContext({ config })]);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const login = (t: TestContext, email: string, password: string, ip: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

describe('login limits in Redis', () => {
  it('counts logins per IP across processes', async () => {
    expect(a.c.rateLimitRedis).toBeDefined();
    for (let i = 0; i < 10; i++) expect((await login(i % 2 ? a : b, ADMIN.email, ADMIN.password, '10.9.0.1')).statusCode).toBe(200);
    const r = await login(a, ADMIN.email, ADMIN.password, '10.9.0.1');
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(b, ADMIN.email, ADMIN.password, '10.9.0.1')).statusCode).toBe(429);
    const keys = await a.c.rateLimitRedis!.keys(`${prefix}:*`);
    expect(keys.some((k) => k.startsWith(`${prefix}:rate-limit:`))).toBe(true);
  });

  it('locks an account for every process after 5 failures spread over them', async () => {
    for (let i = 0; i < 4; i++) expect((await login(i % 2 ? a : b, ADMIN.email, 'wrong', `10.9.1.${i}`)).statusCode).toBe(401);
    expect((await login(a, ADMIN.email, 'wrong', '10.9.1.9')).statusCode).toBe(429);
    const r = await login(b, ADMIN.email, ADMIN.password, '10.9.1.10');
    expect(r.statusCode).toBe(429);
    expect(JSON.parse(r.body).code).toBe('LOGIN_LOCKED');
  });
});
