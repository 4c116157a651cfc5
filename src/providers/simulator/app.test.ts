import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatThethingsDate } from '../nettra.js';
import { buildProviderSimulator } from './app.js';
import { parseThethingsDate } from './nettra.routes.js';

const MIN = 60_000;
const NOW = Date.parse('2026-07-06T14:30:30Z');
let app: FastifyInstance;
let jwt: string;

beforeAll(async () => {
  app = buildProviderSimulator({ clock: () => new Date(NOW), twinTokenTtlSeconds: 120 });
  const login = await app.inject({ method: 'POST', url: '/twin/login', payload: { username: 'u', password: 'demo' } });
  jwt = (login.json() as { token: string }).token;
});
afterAll(async () => {
  await app.close();
});
beforeEach(async () => {
  await app.inject({ method: 'DELETE', url: '/_sim/faults' });
});

const twinGet = (query: string, token = jwt) =>
  app.inject({ url: `/twin/telemetry/DEVICE/dev-1/values/timeseries?${query}`, headers: { 'x-authorization': `Bearer ${token}` } });

describe('Twin API', () => {
  it('issues a JWT whose exp follows the configured lifetime', () => {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(120);
    expect(payload.iat).toBe(Math.floor(NOW / 1000));
  });

  it('rejects a wrong password, a missing token and a tampered token', async () => {
    const bad = await app.inject({ method: 'POST', url: '/twin/login', payload: { username: 'u', password: 'x' } });
    expect(bad.statusCode).toBe(401);
    expect((await app.inject({ url: '/twin/telemetry/DEVICE/dev-1/values/timeseries?keys=nivel' })).statusCode).toBe(401);
    expect((await twinGet('keys=nivel', `${jwt.slice(0, -2)}xx`)).statusCode).toBe(401);
  });

  it('defaults to 100 values, newest first, within [startTs, endTs) and never past now', async () => {
    const res = await twinGet(`keys=caudal&startTs=${NOW - 500 * MIN}&endTs=${NOW + 500 * MIN}`);
    const series = (res.json() as { caudal: Array<{ ts: number; value: string }> }).caudal;
    expect(series).toHaveLength(100);
    expect(series[0]?.ts).toBe(Math.floor(NOW / MIN) * MIN);
    expect(typeof series[0]?.value).toBe('string');
    const end = Math.floor(NOW / MIN) * MIN;
    const asc = (await twinGet(`keys=caudal&startTs=${end - 2 * MIN}&endTs=${end}&orderBy=ASC`).then((r) => r.json())) as {
      caudal: Array<{ ts: number }>;
    };
    expect(asc.caudal.map((p) => p.ts)).toEqual([end - 2 * MIN, end - MIN]);
  });

  it('omits keys without data', async () => {
    expect((await twinGet('keys=unknown_key')).json()).toEqual({});
  });
});

describe('Nettra and Novus APIs', () => {
  it('Nettra answers one value by default, newest first, endDate second included', async () => {
    const one = (await app.inject({ url: '/nettra/v2/things/tok/resources/level' })).json() as unknown[];
    expect(one).toHaveLength(1);
    const res = await app.inject({
      url: '/nettra/v2/things/tok/resources/level?limit=10&startDate=20260706100000&endDate=20260706100200',
    });
    expect((res.json() as Array<{ datetime: string }>).map((v) => v.datetime)).toEqual([
      '2026-07-06T10:02:00.000Z',
      '2026-07-06T10:01:00.000Z',
      '2026-07-06T10:00:00.000Z',
    ]);
    expect((await app.inject({ url: '/nettra/v2/things/tok/resources/level?startDate=2026-07-06' })).statusCode).toBe(400);
  });

  it('Novus needs a token, defaults to 15 items and caps qty at 10000', async () => {
    expect((await app.inject({ url: '/novus/data?variable=nivel' })).statusCode).toBe(401);
    const headers = { authorization: 'tok' };
    const dflt = (await app.inject({ url: '/novus/data?variable=nivel', headers })).json() as { result: unknown[] };
    expect(dflt.result).toHaveLength(15);
    const big = (await app.inject({ url: '/novus/data?variable=nivel&qty=20000', headers })).json() as { result: unknown[] };
    expect(big.result).toHaveLength(10_000);
  });

  it('dates round-trip between the adapter and the simulator', () => {
    const ms = Date.parse('2026-02-28T23:59:59Z');
    expect(formatThethingsDate(ms + 999)).toBe('20260228235959');
    expect(parseThethingsDate('20260228235959')).toBe(ms);
    expect(parseThethingsDate('20260230000000')).toBeUndefined();
  });
});

describe('control API', () => {
  it('validates faults', async () => {
    const res = await app.inject({ method: 'POST', url: '/_sim/faults', payload: { type: 'meteor' } });
    expect(res.statusCode).toBe(400);
  });

  it('applies a fault to the next N matching requests only', async () => {
    await app.inject({ method: 'POST', url: '/_sim/faults', payload: { type: 'http_500', provider: 'nettra', device: 'a', count: 2 } });
    const codes = [];
    for (const device of ['b', 'a', 'a', 'a']) {
      codes.push((await app.inject({ url: `/nettra/v2/things/${device}/resources/level` })).statusCode);
    }
    expect(codes).toEqual([200, 500, 500, 200]);
    expect((await app.inject({ url: '/_sim/faults' })).json()).toEqual({ faults: [] });
  });

  it('answers 429 with Retry-After and clears faults per provider', async () => {
    await app.inject({ method: 'POST', url: '/_sim/faults', payload: { type: 'http_429', provider: 'novus', retryAfterSeconds: 3 } });
    await app.inject({ method: 'POST', url: '/_sim/faults', payload: { type: 'http_500', provider: 'nettra' } });
    const res = await app.inject({ url: '/novus/data?variable=nivel', headers: { authorization: 'tok' } });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect((await app.inject({ method: 'DELETE', url: '/_sim/faults?provider=novus' })).json()).toEqual({ cleared: 1 });
    expect((await app.inject({ url: '/_sim/faults' })).json()).toMatchObject({ faults: [{ provider: 'nettra' }] });
  });

  it('counts requests per provider', async () => {
    const before = (await app.inject({ url: '/_sim/stats' })).json() as { requests: Record<string, number> };
    await app.inject({ url: '/nettra/v2/things/x/resources/level' });
    await app.inject({ url: '/novus/data', headers: { authorization: 'tok' } });
    const after = (await app.inject({ url: '/_sim/stats' })).json() as { requests: Record<string, number> };
    expect(after.requests.nettra).toBe((before.requests.nettra ?? 0) + 1);
    expect(after.requests.novus).toBe((before.requests.novus ?? 0) + 1);
    expect(after.requests.twin).toBe(before.requests.twin);
  });
});
