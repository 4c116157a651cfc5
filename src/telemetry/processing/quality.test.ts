import { describe, expect, it } from 'vitest';
import { FLAG_PENALTY, qualityScore } from './quality.js';
import type { QualityFlag } from './types.js';

describe('qualityScore', () => {
  it('is 1 for a clean reading and 0 for one stored without a value', () => {
    expect(qualityScore([], true)).toBe(1);
    expect(qualityScore([], false)).toBe(0);
    expect(qualityScore(['negative_status_code'], false)).toBe(0);
  });

  it('multiplies the penalties, independent of order', () => {
    expect(qualityScore(['spike'], true)).toBe(0.5);
    expect(qualityScore(['counter_reset'], true)).toBe(0.8);
    expect(qualityScore(['spike', 'out_of_range'], true)).toBe(0.25);
    expect(qualityScore(['out_of_order', 'counter_decrease'], true)).toBe(qualityScore(['counter_decrease', 'out_of_order'], true));
    expect(qualityScore(['after_gap', 'spike_reverted'], true)).toBe(1);
  });

  it('stays within 0..1 for every combination of flags', () => {
    const all = Object.keys(FLAG_PENALTY) as QualityFlag[];
    const score = qualityScore(all, true);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
  });
});
