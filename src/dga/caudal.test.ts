import { describe, expect, it } from 'vitest';
import { caudalFromFlow, caudalFromTotalizer, sampleAt, slotCaudal, volumeBetween } from './caudal.js';

const at = (hhmm: string): Date => new Date(`2026-06-11T${hhmm}:00Z`);
const window = { from: at('12:00'), to: at('13:00') };

describe('slot caudal from the totalizer', () => {
  it('is the volume over the window divided by its duration, in L/s', () => {
    const samples = ['12:00', '12:15', '12:30', '12:45', '13:00'].map((t, i) => ({ ts: at(t), m3: 1000 + 9 * i }));
    expect(caudalFromTotalizer(samples, window)).toBeCloseTo(10, 10); // 36 m³ / 3600 s
  });

  it('counts a drop as a counter reset instead of negative volume', () => {
    const samples = [
      { ts: at('12:00'), m3: 100 },
      { ts: at('12:20'), m3: 109 },
      { ts: at('12:40'), m3: 5 }, // counter restarted: 5 m³ since the reset
      { ts: at('13:00'), m3: 14 },
    ];
    expect(volumeBetween(samples)).toBe(23);
    expect(caudalFromTotalizer(samples, window)).toBeCloseTo((23 * 1000) / 3600, 10);
  });

  it('takes a drop within the reset tolerance as noise: 1000.000 · 999.995 · 1055.116 → 15.31 L/s, not 293.09', () => {
    const hour = { from: at('16:00'), to: at('17:00') };
    const samples = [
      { ts: at('16:00'), m3: 1000 },
      { ts: at('16:30'), m3: 999.995 },
      { ts: at('17:00'), m3: 1055.116 },
    ];
    expect(volumeBetween(samples)).toBeCloseTo(55.116, 9);
    expect(caudalFromTotalizer(samples, hour)).toBeCloseTo(15.31, 2);
    // With no tolerance the same drop is a reset.
    expect(volumeBetween(samples, 0)).toBeCloseTo(999.995 + 55.121, 9);
    // Jitter below a level: the next rise is measured from the level, not from the dip.
    expect(volumeBetween([{ ts: at('16:00'), m3: 10 }, { ts: at('16:20'), m3: 9.995 }, { ts: at('16:40'), m3: 9.999 }, { ts: at('17:00'), m3: 11 }])).toBeCloseTo(1, 9);
  });

  it('takes the last sample before the window as baseline and ignores later samples', () => {
    const samples = [
      { ts: at('13:30'), m3: 999 },
      { ts: at('13:00'), m3: 136 },
      { ts: at('11:55'), m3: 100 },
      { ts: at('11:00'), m3: 0 },
    ];
    // 36 m³ over 65 minutes
    expect(caudalFromTotalizer(samples, window)).toBeCloseTo(36_000 / 3900, 10);
  });

  it('is null with fewer than two samples', () => {
    expect(caudalFromTotalizer([{ ts: at('12:30'), m3: 5 }], window)).toBeNull();
    expect(caudalFromTotalizer([], window)).toBeNull();
  });

  it('falls back to the mean instantaneous flow without a totalizer', () => {
    const flow = [
      { ts: at('12:00'), lps: 100 }, // belongs to the previous window
      { ts: at('12:30'), lps: 10 },
      { ts: at('13:00'), lps: 14 },
    ];
    expect(caudalFromFlow(flow, window)).toBe(12);
    expect(slotCaudal({ totalizer: [], flow, window })).toEqual({ lps: 12, source: 'flow' });
    expect(slotCaudal({ flow: [], window })).toBeNull();
  });
});

describe('sampleAt', () => {
  const samples = [
    { ts: at('12:58'), m3: 1 },
    { ts: at('13:01'), m3: 2 },
  ];
  it('is the latest sample at or before the time, never a later one', () => {
    expect(sampleAt(samples, at('13:00'))?.m3).toBe(1);
  });
  it('is null when the latest sample is too old', () => {
    expect(sampleAt(samples, at('13:00'), 60_000)).toBeNull();
  });
});
