import { describe, expect, it } from 'vitest';
import { applyScaling, normalizeUnit, tidy } from './scaling.js';

describe('applyScaling', () => {
  it('is value × scale + offset, defaulting to 1 and 0', () => {
    expect(applyScaling(812, undefined)).toEqual({ value: 812, scale: 1, offset: 0, divisor: 1 });
    expect(applyScaling(4000, { scale: 0.01, offset: 0.15 })).toEqual({ value: 40.15, scale: 0.01, offset: 0.15, divisor: 1 });
    expect(applyScaling(10, { offset: -2.5 }).value).toBe(7.5);
  });

  it('divides by the legacy calculate_nivel divisor', () => {
    expect(applyScaling(2015, { divisor: 100 })).toEqual({ value: 20.15, scale: 1, offset: 0, divisor: 100 });
    expect(applyScaling(551.16, { divisor: 10 }).value).toBe(55.116);
    expect(applyScaling(2015, { divisor: 100, scale: 2, offset: 0.5 }).value).toBe(40.8);
  });
});

describe('tidy', () => {
  it('removes floating-point noise but keeps real precision', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(tidy(0.1 + 0.2)).toBe(0.3);
    expect(tidy(123_456_789.123)).toBe(123_456_789.123);
  });
});

describe('normalizeUnit', () => {
  it('compares units written in different ways', () => {
    expect(normalizeUnit(' M³ / h ')).toBe('m3/h');
    expect(normalizeUnit('')).toBeUndefined();
    expect(normalizeUnit(undefined)).toBeUndefined();
  });
});
