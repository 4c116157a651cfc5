import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResilienceOptions } from './resilience.js';
import { startProviderSimulator, type RunningSimulator } from './simulator/index.js';
import { TwinAdapter, jwtTimes } from './twin.js';

const MIN = 60_000;
const START = Date.parse('2026-07-06T12:00:00Z');
const FAST: Partial<ResilienceOptions> = { timeoutMs: 250, maxRetries: 1, baseDelayMs: 5, maxDelayMs: 10 };

let sim: RunningSimulator;
let simNow = START;

beforeAll(async () => {
  sim = await startProviderSimulator({ clock: () => new Date(simNow), twinTokenTtlSeconds: 3_600 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  simNow = START;
  await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
});

async function stats(): Promise<{ requests: { twin: number }; twin_logins: number }> {
  return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as never;
}

const account = (password = 'demo') => ({ baseUrl: `${sim.url}/twin`, username: 'operaciones@example.cl', password });
const ref = { deviceId: 'twin-device-1' };

describe('Twin session', () => {
  it('logs in once and reuses the token while it is valid', async () => {
    const before = await stats();
    const adapter = new TwinAdapter(account(), { resilience: FAST, now: () => simNow });
    for (let i = 0; i < 3; i++) expect((await adapter.latest(ref, ['caudal'])).status).toBe('ok');
    const after = await stats();
    expect(after.twin_logins - before.twin_logins).toBe(1);
    expect(after.requests.twin - before.requests.twin).toBe(4);
  });

  it('logs in again once when the provider says the token expired, and retries', async () => {
    const adapterNow = START; // the adapter still believes the token is fresh
    const adapter = new TwinAdapter(account(), { resilience: FAST, now: () => adapterNow });
    expect((await adapter.latest(ref, ['nivel'])).status).toBe('ok');
    simNow = START + 2 * 3_600_000;
    const before = await stats();
    const result = await adapter.latest(ref, ['nivel']);
    expect(result.status).toBe('ok');
    if (result.status === 'ok') expect(result.readings[0]?.ts.getTime()).toBe(simNow);
    const after = await stats();
    expect(after.twin_logins - before.twin_logins).toBe(1);
    expect(after.requests.twin - before.requests.twin).toBe(3); // rejected call, login, retried call
  });

  it('renews the token shortly before its exp without waiting for a 401', async () => {
    let adapterNow = START;
    const adapter = new TwinAdapter(account(), { resilience: FAST, now: () => adapterNow, tokenRefreshMarginMs: 60_000 });
    await adapter.latest(ref, ['nivel']);
    simNow = adapterNow = START + 3_600_000 - 30_000; // inside the margin, token not expired yet
    const before = await stats();
    expect((await adapter.latest(ref, ['nivel'])).status).toBe('ok');
    const after = await stats();
    expect(after.twin_logins - before.twin_logins).toBe(1);
    expect(after.requests.twin - before.requests.twin).toBe(2); // login, call
  });

  it('shares one login between concurrent calls', async () => {
    const before = await stats();
    const adapter = new TwinAdapter(account(), { resilience: FAST, now: () => simNow });
    const results = await Promise.all(Array.from({ length: 5 }, () => adapter.latest(ref, ['caudal'])));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect((await stats()).twin_logins - before.twin_logins).toBe(1);
  });

  it('reports a rejected login as request_failed without the password', async () => {
    const adapter = new TwinAdapter(account('wrong-secret'), { resilience: FAST });
    const result = await adapter.latest(ref, ['caudal']);
    expect(result).toMatchObject({ status: 'request_failed', httpStatus: 401 });
    expect(JSON.stringify(result)).not.toContain('wrong-secret');
  });

  it('fails fast once the breaker is open', async () => {
    await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'twin', type: 'http_500' }),
    });
    const adapter = new TwinAdapter(account(), {
      resilience: { ...FAST, maxRetries: 0, breakerThreshold: 2, breakerCooldownMs: 60_000 },
    });
    await adapter.latest(ref, ['caudal']);
    await adapter.latest(ref, ['caudal']);
    const before = await stats();
    const result = await adapter.latest(ref, ['caudal']);
    expect(result.status).toBe('request_failed');
    if (result.status === 'request_failed') expect(result.error).toContain('circuit open');
    expect((await stats()).requests.twin).toBe(before.requests.twin);
  });

  it('pages a long history with the default page size', async () => {
    const adapter = new TwinAdapter(account(), { resilience: FAST, now: () => simNow });
    const result = await adapter.history(ref, ['totalizador'], new Date(START - 2 * 24 * 60 * MIN), new Date(START));
    expect(result.status).toBe('ok');
    if (result.status === 'ok') expect(result.readings).toHaveLength(2 * 24 * 60);
  });
});

describe('jwtTimes', () => {
  it('reads exp and iat in milliseconds, and nothing from garbage', () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1_800_000_000, iat: 1_799_990_000 })).toString('base64url');
    expect(jwtTimes(`x.${payload}.y`)).toEqual({ expMs: 1_800_000_000_000, iatMs: 1_799_990_000_000 });
    expect(jwtTimes('not-a-jwt')).toEqual({});
    expect(jwtTimes('a.%%%.b')).toEqual({});
  });
});
