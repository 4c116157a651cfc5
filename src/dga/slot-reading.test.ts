import { describe, expect, it } from 'vitest';
import { parseVariables } from '../registry/variables.js';
import { dgaVariables, readSlot, variableProblems, type DgaVariables, type Sample, type SampleLoader } from './slot-reading.js';

const TZ = 'Etc/GMT+4';
const at = (iso: string) => new Date(iso);

/** A loader over fixed series that honours the (from, to] contract. */
function loader(series: Record<string, ([string, number] | [string, number, number])[]>): SampleLoader {
  // A totalizer sample without a meter reading of its own has no offsets: the meter reads the value.
  return async (variable, from, to) =>
    (series[variable] ?? [])
      .map(([ts, value, meter]): Sample => ({ ts: at(ts), value, meter: meter ?? value }))
      .filter((s) => s.ts > from && s.ts <= to)
      .sort((a, b) => a.ts.getTime() - b.ts.getTime());
}

const vars: DgaVariables = { totalizer: 'tot', flow: 'q', level: 'lvl', totalizerSource: 'meter', resetToleranceM3: 0.01 };

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
    ).toEqual({ totalizer: 'totalizador', flow: 'caudal', level: 'nivel', totalizerSource: 'meter', resetToleranceM3: 0.01 });
    expect(dgaVariables(parseVariables(null))).toEqual({ totalizer: null, flow: null, level: null, totalizerSource: 'meter', resetToleranceM3: 0.01 });
    const accumulated = parseVariables({
      total: { kind: 'pulses', channel: 'p', processing: { pulses_factor: 1000, dga_totalizer_source: 'accumulated', reset_tolerance_m3: 0.5 } },
    });
    expect(dgaVariables(accumulated)).toMatchObject({ totalizer: 'total', totalizerSource: 'accumulated', resetToleranceM3: 0.5 });
  });

  it('says why a point cannot report', () => {
    const none: DgaVariables = { totalizer: null, flow: 'q', level: null, totalizerSource: 'meter', resetToleranceM3: 0.01 };
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

  it('reports the meter reading as totalizador by default, the continuous total when set to accumulated', async () => {
    // 16:00 5,000 pulses, 17:00 100 pulses (a reset) at 1,000 L/pulse: continuous 5,000 → 5,100 m³, meter 100.
    const load = loader({ tot: [['2026-06-11T16:00:00Z', 5_000, 5_000], ['2026-06-11T17:00:00Z', 5_100, 100]], lvl: [['2026-06-11T17:00:00Z', 9]] });
    const input = { load, standard: 'MAYOR' as const, type: 'SUBTERRANEO' as const, slot, tz: TZ };
    const meter = await readSlot({ ...input, vars });
    expect(meter).toMatchObject({ ok: true, reading: { totalizerM3: 100 }, detail: { totalizer_source: 'meter', totalizer_accumulated_m3: 5_100 } });
    if (meter.ok) expect(meter.reading.caudalLps).toBeCloseTo((100 * 1000) / 3600, 9);
    const accumulated = await readSlot({ ...input, vars: { ...vars, totalizerSource: 'accumulated' } });
    expect(accumulated).toMatchObject({ ok: true, reading: { totalizerM3: 5_100 } });
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
