import { describe, expect, it } from 'vitest';
import { percentile, result } from './stats.js';

describe('bench figures', () => {
  it('takes the nearest-rank percentile of sorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('a latency passes at or under its target and its ratio is the speed-up over the baseline', () => {
    expect(result('p99', 4, 'ms', 10, 40)).toEqual({ name: 'p99', value: 4, unit: 'ms', target: 10, baseline: 40, ratio: 10, pass: true });
    expect(result('p99', 10.0004, 'ms', 10, 40)).toMatchObject({ value: 10, pass: false });
    expect(result('p99', 12, 'ms', null, 24)).toMatchObject({ ratio: 2, pass: null });
  });

  it('a rate passes at or over its target and its ratio is the share of the baseline reached', () => {
    expect(result('ingest', 90_000, '/s', 0.9 * 100_000, 100_000, 'higher')).toMatchObject({ ratio: 0.9, pass: true });
    expect(result('ingest', 89_999, '/s', 90_000, 100_000, 'higher')).toMatchObject({ ratio: 0.9, pass: false });
    expect(result('ingest', 0, '/s', 1, 100, 'higher')).toMatchObject({ ratio: null, pass: false });
  });
});
