import { counterLimitsOf, parseVariables } from '../../registry/variables.js';
import { describe, expect, it } from 'vitest';
import { processReading, processSeries } from './process.js';
import type { Measurement, Outcome, PointContext, RawReading, TotalizerState, VariableConfig } from './types.js';

const NOW = new Date('2026-06-11T18:00:00.000Z');
const T0 = Date.UTC(2026, 5, 11, 12, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const limits = { maxM3PerHour: 500, resetToleranceM3: 0.01 };
const point: PointContext = { levelSensorPosition: 50, counterLimits: limits, retentionDays: 365 };

const caudal: VariableConfig = { label: 'Caudal', kind: 'flow', unit: 'L/s', channel: 'caudal' };
const pulsos: VariableConfig = { label: 'Totalizador', kind: 'pulses', unit: 'pulses', channel: 'pulsos', processing: { pulses_factor: 10 } };
const totalizador: VariableConfig = { kind: 'totalizer', unit: 'm3', channel: 'totalizador' };
const nivel: VariableConfig = { kind: 'level', unit: 'm', channel: 'nivel' };

function measured(outcome: Outcome): Measurement {
  if (!outcome.ok) throw new Error(`expected a measurement, got dead letter: ${outcome.reason}`);
  return outcome.measurement;
}

function series(config: VariableConfig, values: [minutes: number, raw: unknown][], state?: TotalizerState) {
  const readings: RawReading[] = values.map(([m, raw]) => ({ variable: config.channel, ts: at(m), raw }));
  const result = processSeries(readings, config, point, state, NOW);
  return { ...result, measurements: result.outcomes.map((o) => measured(o)) };
}

describe('pulses totalizer with a counter reset in the middle', () => {
  const { measurements, resets, state } = series(pulsos, [
    [0, 100_000], // 1000 m³
    [15, 100_500], // 1005
    [30, 101_000], // 1010
    [45, 300], // logger restarted: 3 m³ counted since
    [60, 800], // 8
    [75, '1300'], // 13, as a string
  ]);

  it('keeps the series continuous: value after the reset = previous value + new reading', () => {
    expect(measurements.map((m) => m.value_numeric)).toEqual([1000, 1005, 1010, 1013, 1018, 1023]);
    expect(measurements.map((m) => m.raw_value)).toEqual([100_000, 100_500, 101_000, 300, 800, '1300']);
  });

  it('reports one reset with the lost volume', () => {
    expect(resets).toEqual([
      {
        variable: 'pulsos',
        ts: at(45),
        previousRaw: 1010,
        newRaw: 3,
        lostVolume: 1010,
        offsetBefore: 0,
        offsetAfter: 1010,
      },
    ]);
  });

  it('flags only the reset reading and records what was applied', () => {
    expect(measurements.map((m) => m.quality_flags)).toEqual([[], [], [], ['counter_reset'], [], []]);
    expect(measurements[3]?.quality_score).toBe(0.8);
    expect(measurements[3]?.processing_config).toEqual({
      kind: 'pulses',
      unit: 'pulses',
      scale: 1,
      offset: 0,
      pulses_factor: 10,
      conversion: 'pulses×factor/1000→m3',
      totalizer_offset: 1010,
      totalizer_offset_before: 0,
      max_m3_per_hour: 500,
    });
    expect(measurements[5]?.processing_config.totalizer_offset).toBe(1010);
  });

  it('ends with the offset for the next batch', () => {
    expect(state).toEqual({
      offset: 1010, lastRaw: 13, lastValue: 1023, lastTs: at(75), preSpike: null,
      resets: [{ ts: at(45), previousTs: at(30), previousRaw: 1010, newRaw: 3, offsetBefore: 0, offsetAfter: 1010 }], suspect: null,
    });
  });

  it('continues the same way when the batch is split', () => {
    const first = series(pulsos, [
      [0, 100_000],
      [15, 100_500],
      [30, 101_000],
    ]);
    const second = series(pulsos, [
      [45, 300],
      [60, 800],
    ], first.state);
    expect(second.measurements.map((m) => m.value_numeric)).toEqual([1013, 1018]);
    expect(second.resets).toHaveLength(1);
  });
});

describe('readings that are not resets', () => {
  it('a zero right after a positive value is kept raw, flagged, and does not move the totalizer', () => {
    const { measurements, resets, state } = series(totalizador, [
      [0, 1000],
      [15, '0'],
      [30, 1004],
    ]);
    expect(measurements[1]).toMatchObject({
      value_numeric: null,
      raw_value: '0',
      quality_flags: ['zero_after_positive'],
      quality_score: 0,
    });
    expect(measurements[2]).toMatchObject({ value_numeric: 1004, quality_flags: [] });
    expect(resets).toEqual([]);
    expect(state?.offset).toBe(0);
  });

  it('negative logger status codes are kept raw and flagged, and do not move the totalizer', () => {
    const { measurements, resets, state } = series(totalizador, [
      [0, 1000],
      [15, -1],
      [30, '-3'],
      [45, 1002],
    ]);
    expect(measurements.slice(1, 3).map((m) => [m.value_numeric, m.raw_value, m.quality_flags, m.quality_score])).toEqual([
      [null, -1, ['negative_status_code'], 0],
      [null, '-3', ['negative_status_code'], 0],
    ]);
    expect(measurements[3]).toMatchObject({ value_numeric: 1002, quality_flags: [] });
    expect(resets).toEqual([]);
    expect(state).toMatchObject({ offset: 0, lastRaw: 1002 });
  });

  it('negative values of flow and level are status codes too', () => {
    for (const config of [caudal, nivel]) {
      const m = measured(processReading({ variable: config.channel, ts: at(0), raw: -3 }, config, point, undefined, NOW));
      expect(m).toMatchObject({ value_numeric: null, raw_value: -3, quality_flags: ['negative_status_code'], quality_score: 0 });
    }
  });

  it('a negative value of an "other" variable is a measurement (temperatures go below zero)', () => {
    const temp: VariableConfig = { kind: 'other', unit: '°C', channel: 'temp' };
    const m = measured(processReading({ variable: 'temp', ts: at(0), raw: '-2,5' }, temp, point, undefined, NOW));
    expect(m).toMatchObject({ value_numeric: -2.5, quality_flags: [], quality_score: 1 });
  });
});

describe('spikes', () => {
  it('flags a jump above 500 m³/h, keeps it, and moves on', () => {
    const { measurements, state } = series(totalizador, [
      [0, 1000],
      [15, 1300], // 300 m³ in 15 min = 1200 m³/h
      [30, 1310],
    ]);
    expect(measurements[1]).toMatchObject({ value_numeric: 1300, quality_flags: ['spike'], quality_score: 0.5 });
    expect(measurements[2]).toMatchObject({ value_numeric: 1310, quality_flags: [] });
    expect(state?.lastRaw).toBe(1310);
  });

  it('does not flag the same jump as a legitimate backlog after a 3 h gap', () => {
    const { measurements } = series(totalizador, [
      [0, 1000],
      [180, 2600], // 1600 m³ in 3 h: above 500 m³/h, but the logger was offline
      [195, 2610],
    ]);
    expect(measurements[1]).toMatchObject({ value_numeric: 2600, quality_flags: ['after_gap'], quality_score: 1 });
    expect(measurements[2]?.quality_flags).toEqual([]);
  });

  it('still checks at exactly 2 h (the gap must exceed 2 h)', () => {
    const { measurements } = series(totalizador, [
      [0, 1000],
      [120, 2600],
    ]);
    expect(measurements[1]?.quality_flags).toEqual(['spike']);
  });

  it('uses the variable threshold over the point threshold over 500', () => {
    const readings: RawReading[] = [
      { variable: 't', ts: at(0), raw: 1000 },
      { variable: 't', ts: at(60), raw: 1150 },
    ];
    const flags = (config: VariableConfig, p: PointContext) =>
      processSeries(readings, config, p, undefined, NOW).outcomes.map((o) => measured(o).quality_flags)[1];
    expect(flags(totalizador, point)).toEqual([]);
    expect(flags(totalizador, { ...point, counterLimits: { ...limits, maxM3PerHour: 100 } })).toEqual(['spike']);
    // The variable's own limit wins over the template's (the processor asks registry counterLimitsOf).
    const vars = parseVariables({ t: { ...totalizador, processing: { max_m3_per_hour: 200 } } }, { max_m3_per_hour: 100 });
    expect(flags(vars.byKey.get('t')!, { ...point, counterLimits: counterLimitsOf(vars, vars.byKey.get('t')) })).toEqual([]);
  });
});

describe('out-of-order readings', () => {
  it('get raw + the offset in force at their time, are flagged, and leave the state alone', () => {
    const first = series(totalizador, [
      [0, 1000],
      [30, 1010],
      [45, 2], // reset: offset 1010
    ]);
    const late = processReading({ variable: 'totalizador', ts: at(40), raw: 5 }, totalizador, point, first.state, NOW);
    expect(late.ok && late.state).toBe(first.state);
    expect(measured(late)).toMatchObject({ value_numeric: 1015, quality_flags: ['out_of_order'], quality_score: 0.8 });

    const next = processReading({ variable: 'totalizador', ts: at(60), raw: 7 }, totalizador, point, first.state, NOW);
    expect(measured(next)).toMatchObject({ value_numeric: 1017, quality_flags: [] });
  });

  it('a re-delivered reading gets the same value, no flag and no second reset', () => {
    const first = series(totalizador, [
      [0, 1000],
      [15, 4],
    ]);
    expect(first.resets).toHaveLength(1);
    const again = processReading({ variable: 'totalizador', ts: at(15), raw: 4 }, totalizador, point, first.state, NOW);
    expect(again.ok && again.reset).toBeUndefined();
    expect(measured(again)).toMatchObject({ value_numeric: 1004, quality_flags: [] });
  });

  it('processSeries sorts a batch by timestamp before threading the state', () => {
    const { measurements } = series(totalizador, [
      [30, 1010],
      [0, 1000],
      [15, 1005],
    ]);
    expect(measurements.map((m) => [m.ts, m.value_numeric, m.quality_flags])).toEqual([
      [at(0), 1000, []],
      [at(15), 1005, []],
      [at(30), 1010, []],
    ]);
  });
});

describe('flow', () => {
  it('converts m³/h to L/s and records the conversion', () => {
    const m = measured(
      processReading({ variable: 'caudal', ts: at(0), raw: '55.116' }, { ...caudal, unit: 'm3/h' }, point, undefined, NOW),
    );
    expect(m).toMatchObject({ value_numeric: 15.31, raw_value: '55.116', quality_score: 1 });
    expect(m.processing_config).toEqual({ kind: 'flow', unit: 'm3/h', scale: 1, offset: 0, conversion: 'm3/h→L/s' });
  });

  it('parses string values such as "812"', () => {
    const m = measured(processReading({ variable: 'caudal', ts: at(0), raw: '812' }, caudal, point, undefined, NOW));
    expect(m.value_numeric).toBe(812);
  });

  it('applies scale and offset to the channel before converting', () => {
    const config: VariableConfig = { ...caudal, unit: 'm3/h', processing: { scale: 0.1, offset: 3.6 } };
    const m = measured(processReading({ variable: 'caudal', ts: at(0), raw: 324 }, config, point, undefined, NOW));
    expect(m.value_numeric).toBe(10); // (324 × 0.1 + 3.6) / 3.6
    expect(m.processing_config).toMatchObject({ scale: 0.1, offset: 3.6, conversion: 'm3/h→L/s' });
  });

  it('legacy divisor: 551.16 with divisor 10 and the m³/h → L/s conversion is 15.31 L/s', () => {
    const config: VariableConfig = { ...caudal, unit: undefined, processing: { divisor: 10, m3h_to_ls: true } };
    const m = measured(processReading({ variable: 'caudal', ts: at(0), raw: 551.16 }, config, point, undefined, NOW));
    expect(m.value_numeric).toBe(15.31);
    expect(m.processing_config).toMatchObject({ divisor: 10, conversion: 'm3/h→L/s' });
  });

  it('flags a value outside the valid range but keeps it', () => {
    const config: VariableConfig = { ...caudal, processing: { valid_range: { min: 0, max: 200 } } };
    const m = measured(processReading({ variable: 'caudal', ts: at(0), raw: 250 }, config, point, undefined, NOW));
    expect(m).toMatchObject({ value_numeric: 250, quality_flags: ['out_of_range'], quality_score: 0.5 });
    expect(m.processing_config.valid_range).toEqual({ min: 0, max: 200 });
  });

  it('carries no totalizer state', () => {
    const outcome = processReading({ variable: 'caudal', ts: at(0), raw: 1 }, caudal, point, undefined, NOW);
    expect(outcome.ok && outcome.state).toBeUndefined();
  });
});

describe('level', () => {
  it('computes the water table from the sensor position', () => {
    const m = measured(processReading({ variable: 'nivel', ts: at(0), raw: '40,15' }, nivel, point, undefined, NOW));
    expect(m).toMatchObject({ value_numeric: 9.85, quality_flags: [], quality_score: 1 });
    expect(m.processing_config).toMatchObject({ level_sensor_position: 50, water_column_m: 40.15 });
  });

  it('applies scale and offset to the water column first', () => {
    const config: VariableConfig = { ...nivel, processing: { scale: 0.01, offset: 0.15 } };
    const m = measured(processReading({ variable: 'nivel', ts: at(0), raw: 4000 }, config, point, undefined, NOW));
    expect(m.value_numeric).toBe(9.85);
  });

  it('legacy divisor: 2015 with divisor 100 is 20.15 m', () => {
    const depth: VariableConfig = { ...nivel, processing: { divisor: 100, level_from_sensor_position: false } };
    const m = measured(processReading({ variable: 'nivel', ts: at(0), raw: 2015 }, depth, point, undefined, NOW));
    expect(m).toMatchObject({ value_numeric: 20.15, raw_value: 2015 });
    expect(m.processing_config).toMatchObject({ divisor: 100 });
    // The same divisor on a water column above the sensor (position 50 m): 50 − 20.15.
    const column: VariableConfig = { ...nivel, processing: { divisor: 100 } };
    expect(measured(processReading({ variable: 'nivel', ts: at(0), raw: 2015 }, column, point, undefined, NOW)).value_numeric).toBe(29.85);
  });

  it('without a sensor position keeps the reading with no value instead of dead-lettering it', () => {
    const outcome = processReading({ variable: 'nivel', ts: at(0), raw: 40.15 }, nivel, { counterLimits: limits, retentionDays: 365 }, undefined, NOW);
    expect(measured(outcome)).toMatchObject({
      value_numeric: null,
      raw_value: 40.15,
      quality_flags: ['missing_sensor_position'],
      quality_score: 0,
    });
  });
});

describe('dead letters', () => {
  it('rejects an unparseable numeric value with a readable reason', () => {
    expect(processReading({ variable: 'caudal', ts: at(0), raw: 'abc' }, caudal, point, undefined, NOW)).toEqual({
      ok: false,
      code: 'unparseable_value',
      reason: 'unparseable value "abc" for numeric variable caudal',
    });
    const empty = processReading({ variable: 'caudal', ts: at(0), raw: null }, caudal, point, undefined, NOW);
    expect(empty).toMatchObject({ ok: false, reason: 'unparseable value null for numeric variable caudal' });
  });

  it('rejects a timestamp more than 5 min in the future, accepts one exactly 5 min ahead', () => {
    const future = new Date(NOW.getTime() + 5 * 60_000 + 1000);
    expect(processReading({ variable: 'caudal', ts: future, raw: 1 }, caudal, point, undefined, NOW)).toEqual({
      ok: false,
      code: 'future_timestamp',
      reason:
        'timestamp 2026-06-11T18:05:01.000Z of variable caudal is more than 5 min in the future (now 2026-06-11T18:00:00.000Z)',
    });
    const edge = new Date(NOW.getTime() + 5 * 60_000);
    expect(processReading({ variable: 'caudal', ts: edge, raw: 1 }, caudal, point, undefined, NOW).ok).toBe(true);
  });

  it('rejects a timestamp older than the retention', () => {
    const old = new Date(NOW.getTime() - 366 * 86_400_000);
    expect(processReading({ variable: 'caudal', ts: old, raw: 1 }, caudal, point, undefined, NOW)).toEqual({
      ok: false,
      code: 'expired_timestamp',
      reason: 'timestamp 2025-06-10T18:00:00.000Z of variable caudal is older than the retention (365 days)',
    });
  });

  it('rejects an invalid timestamp', () => {
    expect(processReading({ variable: 'caudal', ts: new Date('nope'), raw: 1 }, caudal, point, undefined, NOW)).toMatchObject({
      ok: false,
      code: 'invalid_timestamp',
    });
  });

  it('leaves the totalizer state as it was and keeps every rejected reading in a batch', () => {
    const { readings, outcomes, state } = processSeries(
      [
        { variable: 'totalizador', ts: at(0), raw: 1000 },
        { variable: 'totalizador', ts: at(15), raw: 'ERR' },
        { variable: 'totalizador', ts: new Date(NOW.getTime() + 3_600_000), raw: 1 },
        { variable: 'totalizador', ts: at(30), raw: 1005 },
      ],
      totalizador,
      point,
      undefined,
      NOW,
    );
    expect(outcomes.map((o) => (o.ok ? o.measurement.value_numeric : o.code))).toEqual([
      1000,
      'unparseable_value',
      1005,
      'future_timestamp',
    ]);
    expect(readings[1]?.raw).toBe('ERR');
    expect(state).toMatchObject({ lastRaw: 1005, offset: 0 });
  });
});

describe('text and boolean variables', () => {
  it('stores text and booleans in their own columns', () => {
    const estado: VariableConfig = { kind: 'other', value_type: 'text', channel: 'estado' };
    const bomba: VariableConfig = { kind: 'other', value_type: 'boolean', channel: 'bomba' };
    expect(measured(processReading({ variable: 'estado', ts: at(0), raw: 'OK' }, estado, point, undefined, NOW))).toMatchObject({
      value_text: 'OK',
      value_numeric: null,
      quality_score: 1,
    });
    expect(measured(processReading({ variable: 'bomba', ts: at(0), raw: 'on' }, bomba, point, undefined, NOW))).toMatchObject({
      value_boolean: true,
      value_numeric: null,
    });
    expect(processReading({ variable: 'bomba', ts: at(0), raw: 'maybe' }, bomba, point, undefined, NOW)).toEqual({
      ok: false,
      code: 'unparseable_value',
      reason: 'unparseable value "maybe" for boolean variable bomba',
    });
  });
});

describe('configuration problems', () => {
  it('a pulse channel without a factor keeps the reading, flagged, without a value', () => {
    const config: VariableConfig = { kind: 'pulses', channel: 'pulsos' };
    const outcome = processReading({ variable: 'pulsos', ts: at(0), raw: 1234 }, config, point, undefined, NOW);
    expect(measured(outcome)).toMatchObject({ value_numeric: null, raw_value: 1234, quality_flags: ['missing_pulses_factor'] });
    expect(outcome.ok && outcome.state).toMatchObject({ lastRaw: null, offset: 0 });
  });
});
