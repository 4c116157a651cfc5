/**
 * Every adapter against the simulator over real HTTP: the adapters speak the documented formats and
 * the simulator serves them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from './index.js';
import type { DeviceRef, FetchResult, ProviderName, ProviderReading } from './provider.js';
import type { ResilienceOptions } from './resilience.js';
import { SIMULATOR_CHANNELS, simulatedValue, startProviderSimulator, type FaultSpec, type RunningSimulator } from './simulator/index.js';

const MIN = 60_000;
const NOW = Date.parse('2026-07-06T14:30:30Z');
const FAST: Partial<ResilienceOptions> = {
  timeoutMs: 250,
  maxRetries: 2,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 30,
  breakerThreshold: 100,
};

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startProviderSimulator({ clock: () => new Date(NOW) });
});
afterAll(async () => {
  await sim.close();
});
afterEach(async () => {
  await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
});

async function injectFault(spec: FaultSpec): Promise<void> {
  const res = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
}

async function stats(): Promise<{ requests: Record<ProviderName, number>; faults_applied: Record<string, number> }> {
  return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as never;
}

function readings(result: FetchResult): ProviderReading[] {
  if (result.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.readings;
}

interface Case {
  provider: ProviderName;
  device: string;
  ref: DeviceRef;
  /** How the provider serves a number. */
  served: (v: number) => unknown;
}

const cases: Case[] = [
  { provider: 'twin', device: 'b7e1c2d0-pozo-12', ref: { deviceId: 'b7e1c2d0-pozo-12' }, served: (v) => String(v) },
  { provider: 'nettra', device: 'nettra-thing-token-XYZ', ref: { token: 'nettra-thing-token-XYZ' }, served: (v) => v },
  { provider: 'novus', device: 'novus-device-token-123', ref: { token: 'novus-device-token-123' }, served: (v) => v },
];

describe.each(cases)('$provider adapter against the simulator', ({ provider, device, ref, served }) => {
  const channels = Object.keys(SIMULATOR_CHANNELS[provider]);
  const adapter = (resilience: Partial<ResilienceOptions> = {}, pageSize = 50) =>
    createAdapter(
      provider,
      { baseUrl: `${sim.url}/${provider}/`, username: 'operaciones', password: 'demo' },
      { pageSize, resilience: { ...FAST, ...resilience }, now: () => NOW },
    );
  const expected = (channel: string, ts: number) => served(simulatedValue(device, channel, ts) ?? NaN);

  it('reads the latest value of each channel, never later than now', async () => {
    const got = readings(await adapter().latest(ref, channels));
    const lastMinute = Math.floor(NOW / MIN) * MIN;
    expect(got.map((r) => r.channel).sort()).toEqual([...channels].sort());
    for (const r of got) {
      expect(r.ts.getTime()).toBe(lastMinute);
      expect(r.value).toEqual(expected(r.channel, lastMinute));
    }
  });

  it('pages a history in (from, to] oldest first without duplicate or missing timestamps', async () => {
    const from = NOW - 3 * 60 * MIN - 30_000; // on the minute grid: excluded
    const to = NOW - 10 * MIN - 30_000; // on the grid: included
    const before = (await stats()).requests[provider];
    const got = readings(await adapter().history(ref, channels, new Date(from), new Date(to)));
    const requests = (await stats()).requests[provider] - before;
    expect(requests).toBeGreaterThanOrEqual(4 * channels.length); // 170 readings per channel, 50 a page

    const grid = Array.from({ length: (to - from) / MIN }, (_, i) => from + (i + 1) * MIN);
    for (const channel of channels) {
      const series = got.filter((r) => r.channel === channel);
      expect(series.map((r) => r.ts.getTime())).toEqual(grid);
      for (const r of series) expect(r.value).toEqual(expected(channel, r.ts.getTime()));
    }
    const times = got.map((r) => r.ts.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('retries a 429 and then succeeds', async () => {
    await injectFault({ provider, device, type: 'http_429', count: 1, retryAfterSeconds: 1 });
    const result = await adapter().latest(ref, channels.slice(0, 1));
    expect(result.status).toBe('ok');
    expect((await stats()).faults_applied.http_429).toBeGreaterThanOrEqual(1);
  });

  it('turns 500s that outlast the retries into request_failed, never into data', async () => {
    await injectFault({ provider, device, type: 'http_500' });
    const result = await adapter().history(ref, channels, new Date(NOW - 30 * MIN), new Date(NOW));
    expect(result).toMatchObject({ status: 'request_failed', httpStatus: 500 });
    if (result.status === 'request_failed') {
      expect(result.error).toContain('HTTP 500');
      expect(result.error).not.toContain('demo');
      if (provider !== 'twin') expect(result.error).not.toContain(device);
    }
  });

  it('gives up on a provider that hangs: request_failed after the timeout', async () => {
    await injectFault({ provider, device, type: 'timeout', hangMs: 5_000 });
    const started = Date.now();
    const result = await adapter({ timeoutMs: 150, maxRetries: 1 }).latest(ref, channels.slice(0, 1));
    expect(result.status).toBe('request_failed');
    if (result.status === 'request_failed') expect(result.error).toContain('timed out');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports no_data for a window the device has no readings in', async () => {
    const from = NOW - 6 * 60 * MIN;
    const to = NOW - 2 * 60 * MIN;
    await injectFault({ provider, device, type: 'gap', from: new Date(from - MIN).toISOString(), to: new Date(to + MIN).toISOString() });
    expect(await adapter().history(ref, channels, new Date(from), new Date(to))).toEqual({ status: 'no_data' });
    const after = readings(await adapter().history(ref, channels, new Date(to), new Date(to + 30 * MIN)));
    expect(after.every((r) => r.ts.getTime() > to + MIN)).toBe(true);
  });

  it('passes negative status codes through unchanged', async () => {
    await injectFault({ provider, device, type: 'negative', codes: [-1, -3], every: 2 });
    const got = readings(await adapter().history(ref, channels.slice(0, 1), new Date(NOW - 20 * MIN), new Date(NOW)));
    const codes = got.filter((r) => r.value === served(-1) || r.value === served(-3));
    expect(codes.length).toBe(10);
    expect(got.length).toBe(20);
  });

  it('passes string values through unchanged', async () => {
    await injectFault({ provider, device, type: 'string_values' });
    const channel = channels[0] ?? '';
    const got = readings(await adapter().history(ref, [channel], new Date(NOW - 5 * MIN), new Date(NOW)));
    for (const r of got) expect(r.value).toBe(String(simulatedValue(device, channel, r.ts.getTime())));
  });

  it('fails without calling when the device reference is missing', async () => {
    const result = await adapter().latest({}, channels);
    expect(result.status).toBe('request_failed');
  });
});

describe('Nettra base URL', () => {
  it('works given with or without /v2', async () => {
    const ref = { token: 'nettra-thing-token-XYZ' };
    const channels = Object.keys(SIMULATOR_CHANNELS.nettra);
    const read = async (baseUrl: string) =>
      readings(await createAdapter('nettra', { baseUrl, username: 'operaciones', password: 'demo' }, { resilience: FAST, now: () => NOW }).latest(ref, channels));
    const plain = await read(`${sim.url}/nettra`);
    expect(plain.length).toBe(channels.length);
    for (const base of [`${sim.url}/nettra/v2`, `${sim.url}/nettra/v2/`, `${sim.url}/nettra/V2`]) {
      expect(await read(base)).toEqual(plain);
    }
  });
});
