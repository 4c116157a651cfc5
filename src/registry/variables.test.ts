import { describe, expect, it } from 'vitest';
import { counterLimitsOf, describeVariables, flowOf, levelOf, parseVariables, spikeLimitOf, totalizerOf, variablesPerChannel } from './variables.js';

describe('parseVariables', () => {
  it('keeps entries with a known kind and a channel, sorted by key, typed', () => {
    const vars = parseVariables({
      z_temp: { kind: 'other', channel: 'temp', unit: '°C', value_type: 'numeric', extra: 1 },
      caudal: { kind: 'flow', channel: 'q', unit: 'L/s', processing: { scale: 0.1 } },
      broken: { kind: 'weather', channel: 'w' },
      no_channel: { kind: 'level' },
      not_an_object: 'x',
    });
    expect(vars.all.map((v) => v.key)).toEqual(['caudal', 'z_temp']);
    expect(vars.byKey.get('caudal')).toEqual({ key: 'caudal', kind: 'flow', channel: 'q', unit: 'L/s', processing: { scale: 0.1 } });
    expect(vars.byKey.get('z_temp')).toEqual({ key: 'z_temp', kind: 'other', channel: 'temp', unit: '°C', value_type: 'numeric' });
  });

  it('keeps a positive legacy divisor and drops any other', () => {
    const vars = parseVariables({
      a: { kind: 'level', channel: 'a', processing: { divisor: 100, offset: 1 } },
      b: { kind: 'level', channel: 'b', processing: { divisor: 0, offset: 1 } },
      c: { kind: 'flow', channel: 'c', processing: { divisor: '10' } },
    });
    expect(vars.byKey.get('a')!.processing).toEqual({ divisor: 100, offset: 1 });
    expect(vars.byKey.get('b')!.processing).toEqual({ offset: 1 });
    expect(vars.byKey.get('c')!.processing).toEqual({});
  });

  it('reads anything that is not an object as no variables', () => {
    for (const input of [null, undefined, 3, 'x', [{ kind: 'flow', channel: 'q' }]]) {
      expect(parseVariables(input).all).toEqual([]);
    }
  });
});

describe('totalizerOf, flowOf, levelOf', () => {
  const vars = parseVariables({
    zz: { kind: 'totalizer', channel: 'a' },
    aaa: { kind: 'totalizer', channel: 'b' },
    pulsos: { kind: 'pulses', channel: 'p' },
    q2: { kind: 'flow', channel: 'q2' },
    q1: { kind: 'flow', channel: 'q1' },
    nivel: { kind: 'level', channel: 'n' },
  });

  it('takes the first of the kind in key order, not in config order', () => {
    expect(totalizerOf(vars)?.key).toBe('aaa');
    expect(flowOf(vars)?.key).toBe('q1');
    expect(levelOf(vars)?.key).toBe('nivel');
  });

  it('prefers a totalizer over pulses, and falls back to pulses', () => {
    expect(totalizerOf(parseVariables({ a_pulsos: { kind: 'pulses', channel: 'p' }, t: { kind: 'totalizer', channel: 't' } }))?.key).toBe('t');
    expect(totalizerOf(parseVariables({ pulsos: { kind: 'pulses', channel: 'p' } }))?.key).toBe('pulsos');
  });

  it('answers null when the point has no variable of the kind', () => {
    const none = parseVariables({ temp: { kind: 'other', channel: 't' } });
    expect([totalizerOf(none), flowOf(none), levelOf(none)]).toEqual([null, null, null]);
  });
});

describe('describeVariables', () => {
  it('names the one flow, totalizer and level with the units their values are stored in, not the channel units', () => {
    const vars = parseVariables({
      caudal: { kind: 'flow', channel: 'flow_m3h', unit: 'm3/h', label: 'Caudal' },
      caudal2: { kind: 'flow', channel: 'q2', unit: 'L/s' },
      totalizador: { kind: 'pulses', channel: 'total_pulses', unit: 'pulses', label: 'Totalizador' },
      nivel: { kind: 'level', channel: 'level', unit: 'm' },
      temp: { kind: 'other', channel: 't', unit: 'C' },
    });
    expect(describeVariables(vars)).toEqual([
      { variable: 'caudal', label: 'Caudal', kind: 'flow', role: 'flow', unit: 'L/s' },
      { variable: 'caudal2', label: 'caudal2', kind: 'flow', role: null, unit: null },
      { variable: 'nivel', label: 'nivel', kind: 'level', role: 'level', unit: 'm' },
      { variable: 'temp', label: 'temp', kind: 'other', role: null, unit: null },
      { variable: 'totalizador', label: 'Totalizador', kind: 'pulses', role: 'totalizer', unit: 'm3' },
    ]);
  });
});

describe('spikeLimitOf', () => {
  const config = {
    own: { kind: 'totalizer', channel: 'a', processing: { max_m3_per_hour: 40 } },
    plain: { kind: 'totalizer', channel: 'b' },
  };

  it("uses the variable's own limit, else the template's well default, else 500", () => {
    const withDefaults = parseVariables(config, { max_m3_per_hour: 120 });
    expect(spikeLimitOf(withDefaults, withDefaults.byKey.get('own'))).toBe(40);
    expect(spikeLimitOf(withDefaults, withDefaults.byKey.get('plain'))).toBe(120);
    expect(spikeLimitOf(withDefaults, undefined)).toBe(120);
    const without = parseVariables(config);
    expect(spikeLimitOf(without, without.byKey.get('plain'))).toBe(500);
  });

  it('ignores limits that are not positive numbers', () => {
    const vars = parseVariables({ t: { kind: 'totalizer', channel: 't', processing: { max_m3_per_hour: 0 } } }, { max_m3_per_hour: '90' });
    expect(spikeLimitOf(vars, vars.byKey.get('t'))).toBe(500);
  });
});

describe('variablesPerChannel', () => {
  it('lists the variables each provider channel feeds', () => {
    const vars = parseVariables({
      caudal: { kind: 'flow', channel: 'ch1' },
      caudal_raw: { kind: 'other', channel: 'ch1' },
      nivel: { kind: 'level', channel: 'ch2' },
    });
    expect([...variablesPerChannel(vars)]).toEqual([
      ['ch1', ['caudal', 'caudal_raw']],
      ['ch2', ['nivel']],
    ]);
  });
});

describe('counterLimitsOf', () => {
  it('takes the reset tolerance of the variable, else 0.01 m³, beside the spike limit', () => {
    const vars = parseVariables(
      { own: { kind: 'totalizer', channel: 'a', processing: { reset_tolerance_m3: 0.5 } }, bare: { kind: 'totalizer', channel: 'b' } },
      { max_m3_per_hour: 80 },
    );
    expect(counterLimitsOf(vars, vars.byKey.get('own'))).toEqual({ maxM3PerHour: 80, resetToleranceM3: 0.5 });
    expect(counterLimitsOf(vars, vars.byKey.get('bare'))).toEqual({ maxM3PerHour: 80, resetToleranceM3: 0.01 });
    expect(counterLimitsOf(parseVariables({}), undefined)).toEqual({ maxM3PerHour: 500, resetToleranceM3: 0.01 });
  });
});
