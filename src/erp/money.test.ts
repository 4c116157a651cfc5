import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  amountText, clpEquivalent, computedFieldIn, documentTotals, formatUnits, lineTotal, normalizeDecimal, parseAmount, roundHalfUp,
  taxOf, type Currency, type LineInput,
} from './money.js';

describe('roundHalfUp', () => {
  it.each([
    [5n, 1, 0, 1n], // 0.5 → 1
    [4n, 1, 0, 0n], // 0.4 → 0
    [15n, 1, 0, 2n],
    [25n, 1, 0, 3n], // half up, not half even
    [12345n, 3, 2, 1235n], // 12.345 → 12.35
    [12344n, 3, 2, 1234n],
    [7n, 0, 2, 700n], // widening is exact
    [0n, 4, 0, 0n],
  ])('%s / 10^%s to %s decimals = %s', (n, from, to, want) => {
    expect(roundHalfUp(n, from, to)).toBe(want);
  });
});

describe('lineTotal', () => {
  const cases: [Currency, LineInput, string][] = [
    ['CLP', { quantity: '1', unit_price: '1000000' }, '1000000'],
    ['CLP', { quantity: '3', unit_price: '333.5' }, '1001'], // 1000.5 → 1001
    ['CLP', { quantity: '1', unit_price: '0.49' }, '0'],
    ['CLP', { quantity: '1', unit_price: '0.5' }, '1'],
    ['CLP', { quantity: '2.5', unit_price: '199', discount_percent: '10' }, '448'], // 447.75
    ['CLP', { quantity: '7', unit_price: '1000', discount_percent: '0' }, '7000'],
    ['CLP', { quantity: '7', unit_price: '1000', discount_percent: '100' }, '0'],
    ['CLP', { quantity: '1', unit_price: '10', discount_percent: '33.333333' }, '7'], // 6.6666667
    ['UF', { quantity: '1', unit_price: '12.5' }, '12.50'],
    ['UF', { quantity: '3', unit_price: '0.335' }, '1.01'], // 1.005 → 1.01 (a float gives 1.00)
    ['UF', { quantity: '1', unit_price: '1.005' }, '1.01'],
    ['UF', { quantity: '1', unit_price: '1.0049' }, '1.00'],
    ['UF', { quantity: '0.5', unit_price: '0.01' }, '0.01'], // 0.005 → 0.01
    ['UF', { quantity: '2', unit_price: '10', discount_percent: '12.5' }, '17.50'],
    ['UF', { quantity: '1', unit_price: '99.99', discount_percent: '100' }, '0.00'],
  ];
  it.each(cases)('%s %j → %s', (currency, line, want) => {
    const decimals = currency === 'CLP' ? 0 : 2;
    expect(formatUnits(lineTotal(line, currency, 'items[0]'), decimals)).toBe(want);
  });
});

describe('documentTotals', () => {
  it('IVA 19 % on a CLP quote: 1 000 000 → 190 000 → 1 190 000', () => {
    const t = documentTotals([{ quantity: '1', unit_price: '1000000' }], 'CLP');
    expect([t.lineTotals, t.subtotal, t.taxAmount, t.total]).toEqual([['1000000'], '1000000', '190000', '1190000']);
  });

  it.each([
    // currency, lines, rate, subtotal, tax, total
    ['CLP', [['1', '1050']], '19', '1050', '200', '1250'], // 199.5 → 200
    ['CLP', [['1', '1047']], '19', '1047', '199', '1246'], // 198.93
    ['CLP', [['1', '1000']], '0', '1000', '0', '1000'], // exempt
    ['UF', [['1', '12.5']], '19', '12.50', '2.38', '14.88'], // 2.375 → 2.38
    ['UF', [['1', '0.05']], '19', '0.05', '0.01', '0.06'], // 0.0095 → 0.01
    ['UF', [['1', '10']], '0', '10.00', '0.00', '10.00'],
    ['UF', [['1', '10']], '10.5', '10.00', '1.05', '11.05'],
  ] as [Currency, [string, string][], string, string, string, string][])('%s %j at %s %%', (currency, lines, rate, subtotal, tax, total) => {
    const t = documentTotals(lines.map(([quantity, unit_price]) => ({ quantity, unit_price })), currency, rate);
    expect([t.subtotal, t.taxAmount, t.total]).toEqual([subtotal, tax, total]);
  });

  it('sums many lines exactly: 10 000 lines of 0.10 UF make 1 000.00 UF (a float sum drifts)', () => {
    const t = documentTotals(Array.from({ length: 10_000 }, () => ({ quantity: '1', unit_price: '0.1' })), 'UF', '0');
    expect(t.subtotal).toBe('1000.00');
    let float = 0;
    for (let i = 0; i < 10_000; i++) float += 0.1;
    expect(float).not.toBe(1000);
  });

  it('rounds each line before summing (three lines of 0.5 CLP are 3, not round(1.5) = 2)', () => {
    const t = documentTotals(Array.from({ length: 3 }, () => ({ quantity: '1', unit_price: '0.5' })), 'CLP', '0');
    expect(t.subtotal).toBe('3');
  });

  it('keeps amounts beyond 2^53 minor units exact', () => {
    const big = '9007199254740993'; // 2^53 + 1: a double cannot hold it
    const t = documentTotals([{ quantity: '1', unit_price: big }], 'CLP');
    expect(t.subtotal).toBe(big);
    expect(t.taxAmount).toBe('1711367858400789'); // 1711367858400788.67
    expect(t.total).toBe('10718567113141782');
    const uf = documentTotals([{ quantity: '1', unit_price: '90071992547409.93' }], 'UF', '0');
    expect(uf.total).toBe('90071992547409.93');
  });

  it.each([
    ['CLP', [{ quantity: '1', unit_price: '100000000000000000' }], 'items[0].unit_price'],
    ['CLP', [{ quantity: '10', unit_price: '10000000000000000' }], 'items[0].unit_price'],
    ['UF', [{ quantity: '1', unit_price: '99999999999999999.99' }], 'items'], // the line fits, the total with IVA does not
    ['CLP', [{ quantity: '1', unit_price: '60000000000000000' }, { quantity: '1', unit_price: '60000000000000000' }], 'items'],
    ['CLP', [{ quantity: '1', unit_price: '1', discount_percent: '100.5' }], 'items[0].discount_percent'],
    ['CLP', [{ quantity: '-1', unit_price: '1' }], 'items[0].quantity'],
    ['CLP', [{ quantity: '1e3', unit_price: '1' }], 'items[0].quantity'],
    ['CLP', [{ quantity: '1', unit_price: '0.0000001' }], 'items[0].unit_price'],
  ] as [Currency, LineInput[], string][])('refuses %s %j naming %s', (currency, items, field) => {
    try {
      documentTotals(items, currency);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).details).toMatchObject({ field });
    }
  });

  it('refuses a tax rate above 100 %', () => {
    expect(() => taxOf(100n, '100.01', 'CLP')).toThrow(/tax_rate must be at most 100/);
    expect(taxOf(100n, '100', 'CLP')).toBe(100n);
  });
});

describe('amounts', () => {
  it.each([
    ['1190000', 'CLP', 1190000n],
    ['1190000.00', 'CLP', 1190000n],
    ['12.5', 'UF', 1250n],
    ['12.50', 'UF', 1250n],
    ['0.01', 'UF', 1n],
  ] as [string, Currency, bigint][])('%s %s = %s minor units', (text, currency, units) => {
    expect(parseAmount(text, currency, 'amount')).toBe(units);
  });

  it.each([
    ['0.5', 'CLP'],
    ['12.505', 'UF'],
    ['-1', 'CLP'],
    ['1,5', 'CLP'],
    ['', 'CLP'],
    ['100000000000000000', 'CLP'],
  ] as [string, Currency][])('refuses %j %s', (text, currency) => {
    expect(() => parseAmount(text, currency, 'amount')).toThrow(ValidationError);
  });

  it('gives the CLP equivalent of UF amounts, rounded half up', () => {
    expect(clpEquivalent('12.50', '37000.55')).toBe('462507'); // 462506.875
    expect(clpEquivalent('1.00', '38000.50')).toBe('38001');
  });

  it('normalizes database text', () => {
    expect(amountText('1190000.00', 'CLP')).toBe('1190000');
    expect(amountText('12.50', 'UF')).toBe('12.50');
    expect(normalizeDecimal('19.000000')).toBe('19');
    expect(normalizeDecimal('12.500000')).toBe('12.5');
  });
});

describe('computedFieldIn', () => {
  it.each([
    [{ items: [] }, undefined],
    [{ subtotal: '1' }, 'subtotal'],
    [{ total: '1' }, 'total'],
    [{ tax_amount: '1' }, 'tax_amount'],
    [{ items: [{ quantity: '1' }, { line_total: '5' }] }, 'items[1].line_total'],
    [null, undefined],
  ])('%j → %s', (body, field) => {
    expect(computedFieldIn(body)).toBe(field);
  });
});
