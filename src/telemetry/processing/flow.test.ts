import { describe, expect, it } from 'vitest';
import { averageFlowLs, toLitresPerSecond } from './flow.js';

describe('toLitresPerSecond', () => {
  it('divides m³/h by 3.6, whatever way the unit is written', () => {
    expect(toLitresPerSecond(36, 'm3/h')).toEqual({ value: 10, conversion: 'm3/h→L/s', unitKnown: true });
    expect(toLitresPerSecond(55.116, 'm³/h').value).toBe(15.31);
    expect(toLitresPerSecond(7.2, ' M3 / H ').value).toBe(2);
  });

  it('converts when the variable says m3h_to_ls even if the unit is missing', () => {
    expect(toLitresPerSecond(36, undefined, true)).toEqual({ value: 10, conversion: 'm3/h→L/s', unitKnown: true });
  });

  it('keeps L/s (or no unit) as it is', () => {
    expect(toLitresPerSecond(15.31, 'L/s')).toEqual({ value: 15.31, conversion: null, unitKnown: true });
    expect(toLitresPerSecond(15.31, undefined)).toEqual({ value: 15.31, conversion: null, unitKnown: true });
    expect(toLitresPerSecond(600, 'l/min').value).toBe(10);
  });

  it('says when it does not know the unit', () => {
    expect(toLitresPerSecond(3, 'gal/min')).toEqual({ value: 3, conversion: null, unitKnown: false });
  });
});

describe('averageFlowLs', () => {
  const t = (min: number) => new Date(Date.UTC(2026, 5, 11, 13, min));
  it('is Δm³ × 1000 / Δs', () => {
    // 55.116 m³ in one hour = 15.31 L/s
    expect(averageFlowLs({ ts: t(0), value: 1000 }, { ts: new Date(t(0).getTime() + 3_600_000), value: 1055.116 })).toBe(15.31);
  });
  it('has no answer for an empty interval or a totalizer going backwards', () => {
    expect(averageFlowLs({ ts: t(0), value: 1 }, { ts: t(0), value: 2 })).toBeNull();
    expect(averageFlowLs({ ts: t(0), value: 2 }, { ts: t(5), value: 1 })).toBeNull();
  });
});
