import { describe, expect, it } from 'vitest';
import { formatDate, formatDecimal, formatMoney, formatPercent } from './format.js';

describe('es-CL formatting', () => {
  it.each([
    ['1190000', 'CLP', '$ 1.190.000'],
    ['0', 'CLP', '$ 0'],
    ['999', 'CLP', '$ 999'],
    ['1000', 'CLP', '$ 1.000'],
    ['-25000', 'CLP', '-$ 25.000'],
    ['9007199254740993', 'CLP', '$ 9.007.199.254.740.993'],
    ['12.50', 'UF', '12,50 UF'],
    ['1234.05', 'UF', '1.234,05 UF'],
    ['0.00', 'UF', '0,00 UF'],
  ] as const)('%s %s → %s', (amount, currency, want) => {
    expect(formatMoney(amount, currency)).toBe(want);
  });

  it('formats quantities, percentages and dates', () => {
    expect(formatDecimal('2.5')).toBe('2,5');
    expect(formatDecimal('12000.125')).toBe('12.000,125');
    expect(formatPercent('19')).toBe('19 %');
    expect(formatPercent('12.5')).toBe('12,5 %');
    expect(formatDate('2026-12-03')).toBe('03-12-2026');
  });
});
