import { describe, expect, it } from 'vitest';
import { tidy } from '../telemetry/processing/scaling.js';

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
