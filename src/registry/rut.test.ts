import { describe, expect, it } from 'vitest';
import { isValidRut, normalizeRut, rutCheckDigit } from './rut.js';

describe('RUT', () => {
  it('computes the mod-11 check digit including 0 and K', () => {
    expect(rutCheckDigit('12345678')).toBe('5');
    expect(rutCheckDigit('77555666')).toBe('8');
    expect(rutCheckDigit('20999888')).toBe('2');
    expect(rutCheckDigit('10000013')).toBe('K');
    expect(rutCheckDigit('10000004')).toBe('0');
  });
  it('normalises dots and lower-case k', () => {
    expect(normalizeRut('12.345.678-5')).toBe('12345678-5');
    expect(normalizeRut('10.000.013-k')).toBe('10000013-K');
    expect(normalizeRut('123456785')).toBe('12345678-5');
  });
  it('rejects wrong check digits and garbage', () => {
    expect(isValidRut('12345678-4')).toBe(false);
    expect(isValidRut('abc')).toBe(false);
    expect(isValidRut('')).toBe(false);
  });
});
