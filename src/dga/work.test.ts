import { describe, expect, it } from 'vitest';
import type { SlotReadingResult } from './slot-reading.js';
import { combineWorkReading } from './work.js';

const ok = (caudalLps: number, totalizerM3: number, waterTableM: number | null): SlotReadingResult => ({
  ok: true,
  reading: { caudalLps, totalizerM3, waterTableM },
  detail: {
    window: { from: '2026-06-11T12:00:00.000Z', to: '2026-06-11T13:00:00.000Z' },
    caudal_lps: caudalLps,
    caudal_source: 'totalizer',
    totalizer_m3: totalizerM3,
    totalizer_source: 'meter',
    totalizer_accumulated_m3: totalizerM3,
    totalizer_ts: '2026-06-11T13:00:00.000Z',
    water_table_m: waterTableM,
    water_table_ts: waterTableM === null ? null : '2026-06-11T13:00:00.000Z',
    variables: { totalizer: 'totalizador', flow: 'caudal', level: 'nivel', totalizerSource: 'meter', resetToleranceM3: 0.01 },
  },
});

describe('combineWorkReading: a work with several meters (point 83 = 83 + 84 + 85)', () => {
  it('sums caudal and totalizador, takes the level from the designated point', () => {
    const r = combineWorkReading({ pointId: 83, result: ok(10.1, 1000.4, 22.5) }, [
      { pointId: 84, result: ok(5.2, 2000.3, 30) },
      { pointId: 85, result: ok(0.01, 0.5, null) },
    ]);
    expect(r.ok && r.reading).toEqual({ caudalLps: 15.31, totalizerM3: 3001.2, waterTableM: 22.5 });
    expect(r.ok && r.detail.meters?.map((m) => m.point_id)).toEqual([83, 84, 85]);
    expect(r.ok && r.detail.totalizer_m3).toBe(3001.2);
  });

  it('owes nothing while any meter lacks data, naming it', () => {
    const r = combineWorkReading({ pointId: 83, result: ok(10, 1000, 22.5) }, [
      { pointId: 84, result: ok(5, 2000, null) },
      { pointId: 85, result: { ok: false, missing: ['totalizador: no reading'] } },
    ]);
    expect(r).toEqual({ ok: false, missing: ['point 85 (same work): totalizador: no reading'] });
  });

  it('a point without members reports its own reading unchanged', () => {
    const own = ok(10, 1000, 22.5);
    expect(combineWorkReading({ pointId: 83, result: own }, [])).toBe(own);
  });
});
