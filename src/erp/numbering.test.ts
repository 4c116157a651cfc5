import { describe, expect, it } from 'vitest';
import { documentNumber } from './numbering.js';

describe('documentNumber', () => {
  it.each([
    ['COT', 2026, 1, 'COT-2026-0001'],
    ['FAC', 2026, 42, 'FAC-2026-0042'],
    ['GAS', 2027, 9999, 'GAS-2027-9999'],
    ['COT', 2026, 10000, 'COT-2026-10000'], // grows past four digits rather than wrapping
  ] as const)('%s %s #%s → %s', (series, year, n, want) => {
    expect(documentNumber(series, year, n)).toBe(want);
  });
});
