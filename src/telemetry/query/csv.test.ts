import { describe, expect, it } from 'vitest';
import { bucketCsvLine, csvField, csvText } from './csv.js';

describe('CSV cells cannot be formulas', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['caudal', 'caudal'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('text %j → %j', (text, cell) => {
    expect(csvField(text)).toBe(cell);
  });

  it('keeps numbers, negative ones included, and dates as they are', () => {
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(-0)).toBe('0');
    expect(csvField(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00.000Z');
    expect(csvText('nivel')).toBe('nivel');
  });

  it('neutralises the variable of a bucket line but not its negative numbers', () => {
    expect(bucketCsvLine(7, '=cmd', { ms: 0, avg: -1.5, min: -2, max: -1, count: 2, last: -1 })).toBe(
      "7,'=cmd,1970-01-01T00:00:00.000Z,-1.5,-2,-1,2,-1",
    );
  });
});
