import { describe, expect, it } from 'vitest';
import { interactionReadings, reconcile, timeSeriesValue, variableOfType } from './readings.js';

describe('interactionReadings', () => {
  it('reads flow, a string total and nivel at the measurement instant', () => {
    const r = interactionReadings({ date_time_medition: '2024-01-15T12:00:00-03:00', flow: 12.5, total: '1.234.567,5', nivel: 40.2, is_error: false });
    expect(r).toEqual({ ok: true, value: {
      at: new Date('2024-01-15T15:00:00Z'), naive: false, flag: 'legacy_import', dropped: [],
      readings: [{ variable: 'caudal', value: 12.5 }, { variable: 'totalizador', value: 1234567.5 }, { variable: 'nivel', value: 40.2 }],
    } });
  });

  it('reads a naive timestamp as Chile local time and keeps is_error rows flagged', () => {
    const r = interactionReadings({ date_time_medition: '2024-07-15 12:00:00', flow: 1, is_error: true });
    expect(r.ok && r.value).toMatchObject({ at: new Date('2024-07-15T16:00:00Z'), naive: true, flag: 'legacy_error' });
  });

  it.each([
    ['', 'empty, dropped'],
    [null, 'empty, dropped'],
    ['null', 'empty, dropped'],
    ['n/a', 'not a number, dropped'],
    ['1,2,3', 'not a number, dropped'],
  ])('drops total %j and reports it, keeping the other values', (total, reason) => {
    const r = interactionReadings({ date_time_medition: '2024-01-15T12:00:00Z', flow: 3, total, nivel: null });
    expect(r.ok && r.value.readings).toEqual([{ variable: 'caudal', value: 3 }]);
    expect(r.ok && r.value.dropped).toEqual([{ field: 'total', from: total, reason }]);
  });

  it.each([
    [{ date_time_medition: '2024-01-15T12:00:00Z', flow: null, total: '', nivel: null }, 'no usable value'],
    [{ date_time_medition: 'ayer', flow: 1 }, 'no usable timestamp'],
    [{ flow: 1 }, 'no usable timestamp'],
  ])('rejects %j', (fields, reason) => {
    const r = interactionReadings(fields);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain(reason);
  });
});

describe('variableOfType', () => {
  it.each([
    ['NIVEL', 'nivel'], ['CAUDAL', 'caudal'], ['TOTALIZADO', 'totalizador'], ['CAUDAL_PROMEDIO', 'caudal_promedio'], ['caudal', 'caudal'],
    ['TEMPERATURA', null], [null, null],
  ])('%j → %s', (type, variable) => {
    expect(variableOfType(type)).toBe(variable);
  });
});

describe('timeSeriesValue', () => {
  it.each([
    [1.5, 1.5], ['1,5', 1.5], [{ value: 2 }, 2], [{ v: '3.5' }, 3.5], [{ value: { v: 4 } }, 4],
    [null, null], ['', null], [[1], null], [{ other: 1 }, null], [true, null],
  ])('%j → %s', (value, expected) => {
    expect(timeSeriesValue(value)).toBe(expected);
  });
});

describe('reconcile', () => {
  it.each([
    [10, 10, 'duplicates'], [10, 10.001, 'duplicates'], [10, 9.999, 'duplicates'], [1234567.5, 1234567.5005, 'duplicates'],
    [10, 10.0011, 'conflicts'], [10, 11, 'conflicts'], [0, -0.01, 'conflicts'],
  ])('%f vs %f → %s', (a, b, outcome) => {
    expect(reconcile(a, b)).toBe(outcome);
  });
});
