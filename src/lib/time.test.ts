import { describe, expect, it } from 'vitest';
import { tidy } from '../telemetry/processing/scaling.js';
import { DAY_MS, MINUTE_MS, parseIsoDate } from './time.js';

describe('tidy', () => {
  const byPrecision = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(12)) : v);
  it('gives what rounding to 12 significant digits gives, with or without its shortcut', () => {
    const values = [0, -0, 1, -1, 0.1 + 0.2, 25.200000000000003, 12.3, 999_999.999999, 1e6, -999_999.5, 1e-7, 123.4567891, 5e-324, 1e21, Number.NaN, Infinity, -Infinity];
    for (let i = 0; i < 200_000; i++) {
      const scale = 10 ** Math.floor(Math.random() * 14 - 7);
      values.push((Math.random() - 0.5) * scale, Math.round(Math.random() * 1e6) / 1e3, (Math.random() * 100) * 0.06, 30 - Math.random() * 0.4);
    }
    expect(values.filter((v) => !(Object.is(tidy(v), byPrecision(v)) || (v === 0 && tidy(v) === 0)))).toEqual([]);
  });
});

describe('parseIsoDate', () => {
  it('reads what new Date reads, for the usual form and for everything else', () => {
    const texts: unknown[] = [
      '2026-12-06T04:30:00.000Z', '2026-01-01T00:00:00.000Z', '1999-12-31T23:59:59.999Z', '2028-02-29T12:00:00.500Z',
      '2026-02-31T00:00:00.000Z', // rolls over into March, as new Date does
      '2026-13-01T00:00:00.000Z', '2026-12-01T24:00:00.000Z', '2026-12-01T23:60:00.000Z', '2026-12-01T23:59:60.000Z',
      '0050-06-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-12-00T00:00:00.000Z', '2026-12-06T04:30:00.000+', '2026-12-06 04:30:00.000Z',
      '2026-12-06T04:30:00Z', '2026-12-06T04:30:00.000-03:00', '2026-12-06', 'yesterday', '', '2026-1a-06T04:30:00.000Z',
      1_796_000_000_000, null, undefined, {},
    ];
    for (const text of texts) {
      const expected = new Date(text as string).getTime();
      const got = parseIsoDate(text).getTime();
      expect(Number.isNaN(got) ? 'invalid' : got, String(text)).toBe(Number.isNaN(expected) ? 'invalid' : expected);
    }
  });

  it('reads every minute of a year the same as new Date', () => {
    const start = Date.UTC(2026, 0, 1);
    for (let t = start; t < start + 366 * DAY_MS; t += 37 * MINUTE_MS + 1_234) {
      const text = new Date(t).toISOString();
      expect(parseIsoDate(text).getTime()).toBe(t);
    }
  });
});
