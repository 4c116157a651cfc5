import { describe, expect, it } from 'vitest';
import { parseVariables } from '../registry/variables.js';
import { dgaVariables, readSlot, variableProblems, type Sample, type SampleLoader } from './slot-reading.js';

const TZ = 'Etc/GMT+4';
const at = (iso: string) => new Date(iso);

/** A loader over fixed series that honours the (from, to] contract. */
function loader(series: Record<string, [string, number][]>): SampleLoader {
  return async (variable, from, to) =>
    (series[variable] ?? [])
      .map(([ts, value]): Sample => ({ ts: at(ts), value }))
      .filter((s) => s.ts > from && s.ts <= to)
      .sort((a, b) => a.ts.getTime() - b.ts.getTime());
}

const vars = { totalizer: 'tot', flow: 'q', level: 'lvl' };

describe('dgaVariables', () => {
  it("names the point's totalizer, flow and level as registry/variables.ts picks them", () => {
    expect(
      dgaVariables(
        parseVariables({
          temp: { kind: 'other', channel: 't' },
          pulsos: { kind: 'pulses', channel: 'p' },
          totalizador: { kind: 'totalizer', channel: 'tot' },
          caudal: { kind: 'flow', channel: 'q' },
          nivel2: { kind: 'level', channel: 'n2' },
          nivel: { kind: 'level', channel: 'n' },
        }),
      ),
    ).toEqual({ totalizer: 'totalizador', flow: 'caudal', level: 'nivel' });
    expect(dgaVariables(parseVariables(null))).toEqual({ totalizer: null, flow: null, level: null });
  });

  it('says why a point cannot report', () => {
    const none = { totalizer: null, flow: 'q', level: null };
    expect(variableProblems(none, 'SUBTERRANEO', 'MAYOR')).toHaveLength(2);
    expect(variableProblems(none, 'SUPERFICIAL', 'MAYOR')).toEqual([expect.stringContaining('totalizador')]);
    expect(variableProblems({ ...none, totalizer: 't' }, 'SUBTERRANEO', 'CAUDALES_MUY_PEQUENOS')).toEqual([]);
  });
});

describe('readSlot', () => {
  const slot = at('2026-06-11T17:00:00Z');

  it('averages the flow over the hour from the totalizer delta, across a counter reset', async () => {
    const r = await readSlot({
      load: loader({
        // 16:00 → 16:30: +90 m³; the counter restarts and reads 36 at 17:00: 36 m³ more.
        tot: [['2026-06-11T16:00:00Z', 1000], ['2026-06-11T16:30:00Z', 1090], ['2026-06-11T16:40:00Z', 0.5], ['2026-06-11T17:00:00Z', 36]],
        q: [['2026-06-11T16:30:00Z', 99]],
        lvl: [['2026-06-11T16:55:00Z', 9.854]],
      }),
      vars,
      standard: 'MAYOR',
      type: 'SUBTERRANEO',
      slot,
      tz: TZ,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.reading.caudalLps).toBeCloseTo(((90 + 0.5 + 35.5) * 1000) / 3600, 9);
    expect(r.reading.totalizerM3).toBe(36);
    expect(r.reading.waterTableM).toBe(9.854);
    expect(r.detail).toMatchObject({ caudal_source: 'totalizer', totalizer_ts: '2026-06-11T17:00:00.000Z', water_table_ts: '2026-06-11T16:55:00.000Z' });
  });

  it('uses the mean instantaneous flow when the window has a single totalizer reading', async () => {
    const r = await readSlot({
      load: loader({ tot: [['2026-06-11T16:50:00Z', 500]], q: [['2026-06-11T16:00:00Z', 50], ['2026-06-11T16:30:00Z', 10], ['2026-06-11T17:00:00Z', 14]], lvl: [] }),
      vars,
      standard: 'MAYOR',
      type: 'SUPERFICIAL',
      slot,
      tz: TZ,
    });
    expect(r).toMatchObject({ ok: true, reading: { caudalLps: 12, totalizerM3: 500, waterTableM: null }, detail: { caudal_source: 'flow' } });
  });

  it('lists what is missing instead of inventing it: stale totalizer, no water table', async () => {
    const r = await readSlot({
      load: loader({ tot: [['2026-06-11T14:00:00Z', 10], ['2026-06-11T15:20:00Z', 20]], q: [['2026-06-11T16:10:00Z', 3]], lvl: [['2026-06-11T15:00:00Z', 7]] }),
      vars,
      standard: 'MAYOR',
      type: 'SUBTERRANEO',
      slot,
      tz: TZ,
      maxSampleAgeMs: 90 * 60_000,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.missing).toEqual([expect.stringMatching(/^totalizador: no tot reading in the 90 min/), expect.stringMatching(/^nivelFreaticoDelPozo/)]);
  });

  it('lets a CAUDALES_MUY_PEQUENOS well report without a water table', async () => {
    const r = await readSlot({
      load: loader({ tot: [['2026-06-30T20:00:00Z', 10], ['2027-01-01T04:00:00Z', 70]], q: [], lvl: [] }),
      vars,
      standard: 'CAUDALES_MUY_PEQUENOS',
      type: 'SUBTERRANEO',
      slot: at('2027-01-01T04:00:00Z'),
      tz: TZ,
      maxSampleAgeMs: 200 * 24 * 3_600_000,
    });
    expect(r).toMatchObject({ ok: true, reading: { totalizerM3: 70, waterTableM: null } });
  });
});
