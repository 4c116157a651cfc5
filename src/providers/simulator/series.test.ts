import { describe, expect, it } from 'vitest';
import {
  SIMULATOR_CHANNELS,
  isPumpOn,
  lastResetMs,
  readingIntervalMs,
  readingTimes,
  simulatedValue,
  subtractWindows,
  wellProfile,
} from './series.js';
import { DAY_MS } from '../../lib/time.js';

const MIN = 60_000;
const t0 = Date.parse('2026-03-01T00:00:00Z');

function value(device: string, channel: string, ts: number): number {
  const v = simulatedValue(device, channel, ts);
  if (v === undefined) throw new Error(`no value for ${channel}`);
  return v;
}

describe('simulatedValue', () => {
  it('is deterministic per device and differs between devices', () => {
    const a = [0, 1, 2, 3].map((i) => value('pozo-1', 'totalizador', t0 + i * DAY_MS));
    const b = [0, 1, 2, 3].map((i) => value('pozo-1', 'totalizador', t0 + i * DAY_MS));
    const c = [0, 1, 2, 3].map((i) => value('pozo-2', 'totalizador', t0 + i * DAY_MS));
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(simulatedValue('pozo-1', 'nivel', new Date(t0))).toBe(simulatedValue('pozo-1', 'nivel', t0));
  });

  it('knows only the documented channels', () => {
    expect(simulatedValue('pozo-1', 'temperature', t0)).toBeUndefined();
    for (const channels of Object.values(SIMULATOR_CHANNELS)) {
      for (const key of Object.keys(channels)) expect(Number.isFinite(value('pozo-1', key, t0))).toBe(true);
    }
  });

  it('computes any time directly, far from the epoch', () => {
    const started = performance.now();
    expect(Number.isFinite(value('pozo-1', 'totalizador', Date.parse('2099-12-31T23:59:00Z')))).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('reports zero flow exactly while the pump is off and positive flow while it runs', () => {
    let on = 0;
    let off = 0;
    for (let ts = t0; ts < t0 + 2 * DAY_MS; ts += MIN) {
      const flow = value('pozo-7', 'caudal', ts);
      if (isPumpOn('pozo-7', ts)) {
        on++;
        expect(flow).toBeGreaterThan(0);
      } else {
        off++;
        expect(flow).toBe(0);
        expect(value('pozo-7', 'flow_m3h', ts)).toBe(0);
      }
    }
    expect(on).toBeGreaterThan(100);
    expect(off).toBeGreaterThan(100);
  });

  it('keeps the totalizer monotonic except at its rare resets, which go back to about zero', () => {
    const device = 'pozo-3';
    let previous = value(device, 'totalizador', t0);
    let resets = 0;
    for (let ts = t0 + 10 * MIN; ts < t0 + 130 * DAY_MS; ts += 10 * MIN) {
      const current = value(device, 'totalizador', ts);
      if (current < previous) {
        resets++;
        expect(lastResetMs(device, ts)).toBeGreaterThan(ts - 10 * MIN);
        expect(current).toBeLessThan(10 * MIN * (wellProfile(device).flowLps / 1000) / 1000 + 0.1);
      }
      previous = current;
    }
    expect(resets).toBeGreaterThanOrEqual(1);
    expect(resets).toBeLessThanOrEqual(3);
  });

  it('grows the totalizer by the volume the reported flow implies', () => {
    const device = 'pozo-4';
    const from = lastResetMs(device, t0 + 20 * DAY_MS) + DAY_MS;
    const to = from + DAY_MS;
    let integrated = 0;
    for (let ts = from; ts < to; ts += MIN) integrated += (value(device, 'caudal', ts) / 1000) * 60;
    const delta = value(device, 'totalizador', to) - value(device, 'totalizador', from);
    expect(delta).toBeGreaterThan(0);
    expect(Math.abs(delta - integrated) / delta).toBeLessThan(0.03);
  });

  it('serves the same well in each unit: m³/h = L/s × 3.6, pulses × 10 L = m³', () => {
    const ts = t0 + 5 * DAY_MS + 123 * MIN;
    const lps = value('pozo-5', 'caudal', ts);
    expect(value('pozo-5', 'flow_m3h', ts)).toBeCloseTo(lps * 3.6, 1);
    const m3 = value('pozo-5', 'totalizador', ts);
    expect((value('pozo-5', 'total_pulses', ts) * 10) / 1000).toBeCloseTo(m3, 0);
  });

  it('draws the water column down while pumping and lets it recover when the pump stops', () => {
    const device = 'pozo-6';
    const p = wellProfile(device);
    // Find a pump start.
    let start = t0;
    while (!(isPumpOn(device, start) && !isPumpOn(device, start - MIN))) start += MIN;
    const run = p.pumpCycleMs * p.pumpDuty;
    const atStart = value(device, 'nivel', start);
    const nearStop = value(device, 'nivel', start + run - 2 * MIN);
    const recovered = value(device, 'nivel', start + p.pumpCycleMs - 2 * MIN);
    expect(nearStop).toBeLessThan(atStart - 1);
    expect(recovered).toBeGreaterThan(nearStop + 1);
    expect(value(device, 'level', start)).toBe(atStart);
  });
});

describe('reading times', () => {
  it('follows the per-device interval rule', () => {
    expect(readingIntervalMs('pozo-1')).toBe(MIN);
    expect(readingIntervalMs('pozo-1-every5m')).toBe(5 * MIN);
    expect(readingIntervalMs('abc-every60m')).toBe(60 * MIN);
  });

  it('lists grid times in either order with skip and limit, skipping gaps', () => {
    const q = { deviceId: 'pozo-1', startMs: t0, endMs: t0 + 10 * MIN, limit: 100 };
    expect(readingTimes({ ...q, order: 'asc' })).toHaveLength(11);
    expect(readingTimes({ ...q, order: 'asc', skip: 2, limit: 3 })).toEqual([t0 + 2 * MIN, t0 + 3 * MIN, t0 + 4 * MIN]);
    expect(readingTimes({ ...q, order: 'desc', limit: 2 })).toEqual([t0 + 10 * MIN, t0 + 9 * MIN]);
    const gaps = [{ fromMs: t0 + 2 * MIN, toMs: t0 + 7 * MIN }];
    expect(readingTimes({ ...q, order: 'asc', gaps })).toEqual([t0, t0 + MIN, t0 + 8 * MIN, t0 + 9 * MIN, t0 + 10 * MIN]);
    expect(readingTimes({ ...q, order: 'desc', gaps, skip: 3, limit: 5 })).toEqual([t0 + MIN, t0]);
  });

  it('subtracts overlapping gaps', () => {
    expect(
      subtractWindows({ fromMs: 0, toMs: 100 }, [
        { fromMs: 10, toMs: 20 },
        { fromMs: 15, toMs: 30 },
        { fromMs: 90, toMs: 200 },
      ]),
    ).toEqual([
      { fromMs: 0, toMs: 9 },
      { fromMs: 31, toMs: 89 },
    ]);
  });
});
