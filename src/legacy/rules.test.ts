import { describe, expect, it } from 'vitest';
import { dgaStandardFrom, frequencyFrom, legacyRut, legacyTimestamp, parseLegacyTotal, providerFromFlags } from './rules.js';

describe('legacyRut', () => {
  it.each([
    ['76.086.428-5', '76086428-5'],
    [' 76 086 428-5 ', '76086428-5'],
    ['76086428-5', '76086428-5'],
    ['11.111.111-1', '11111111-1'],
    ['6.882.446-k', '6882446-K'],
    ['6882446K', '6882446-K'],
    ['76.086.428-4', null],
    ['', null],
    ['sin rut', null],
    [76086428, null],
    [null, null],
  ])('%j → %s', (input, rut) => {
    expect(legacyRut(input)).toBe(rut);
  });
});

describe('providerFromFlags', () => {
  it.each([
    [{ is_tdata: true, is_thethings: false, is_novus: false }, 'twin', true, false],
    [{ is_thethings: true }, 'nettra', true, false],
    [{ is_novus: true, is_tdata: false }, 'novus', true, false],
    [{}, null, false, false],
    [{ is_tdata: 'true' }, null, false, false],
    [{ is_tdata: true, is_novus: true }, null, false, true],
    [{ is_tdata: true, is_thethings: true, is_novus: true }, null, false, true],
  ])('%j → %s', (fields, provider, canCollect, reported) => {
    const d = providerFromFlags(fields);
    expect(d.provider).toBe(provider);
    expect(d.canCollect).toBe(canCollect);
    expect(d.problem !== undefined).toBe(reported);
  });

  it('names the conflicting flags', () => {
    expect(providerFromFlags({ is_tdata: true, is_novus: true }).problem).toContain('is_tdata, is_novus');
  });
});

describe('frequencyFrom', () => {
  it.each([
    ['1', 1, true], ['5', 5, true], ['10', 10, true], ['60', 60, true], [' 5 ', 5, true], [5, 5, true],
    ['15', 60, false], ['', 60, false], [null, 60, false], ['cinco', 60, false], ['5.0', 60, false],
  ])('%j → %i minutes (collects %s)', (input, minutes, canCollect) => {
    const d = frequencyFrom(input);
    expect(d.minutes).toBe(minutes);
    expect(d.canCollect).toBe(canCollect);
    expect(d.problem === undefined).toBe(canCollect);
  });
});

describe('parseLegacyTotal', () => {
  it.each([
    ['1234.5', 1234.5],
    ['1234,5', 1234.5],
    ['1.234.567', 1234567],
    ['1.234.567,89', 1234567.89],
    ['1.234,5', 1234.5],
    ['1.234', 1.234],
    [' 42 ', 42],
    ['0', 0],
    ['-3,5', -3.5],
    [12.5, 12.5],
    ['', null],
    ['null', null],
    [null, null],
    ['n/a', null],
    ['1,234,567', null],
    ['12.34.5', null],
    ['1.2,3,4', null],
    ['12,34.5', null],
    ['NaN', null],
    ['1e5', null],
  ])('%j → %s', (input, value) => {
    expect(parseLegacyTotal(input)).toBe(value);
  });
});

describe('legacyTimestamp', () => {
  it.each([
    ['2024-01-15T12:00:00Z', '2024-01-15T12:00:00.000Z', false],
    ['2024-01-15T12:00:00.250Z', '2024-01-15T12:00:00.250Z', false],
    ['2024-01-15T12:00:00-03:00', '2024-01-15T15:00:00.000Z', false],
    ['2024-07-15T12:00:00+0000', '2024-07-15T12:00:00.000Z', false],
    // Naive: Chile local time; summer (UTC−3) and winter (UTC−4).
    ['2024-01-15T12:00:00', '2024-01-15T15:00:00.000Z', true],
    ['2024-07-15 12:00:00', '2024-07-15T16:00:00.000Z', true],
    ['2024-07-15 12:00', '2024-07-15T16:00:00.000Z', true],
  ])('%s → %s (naive %s)', (input, iso, naive) => {
    const t = legacyTimestamp(input);
    expect(t?.at.toISOString()).toBe(iso);
    expect(t?.naive).toBe(naive);
  });

  it.each(['', null, 12345, '2024-02-30T00:00:00', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00', 'ayer', '2024-01-01T00:00:00+25:00'])(
    '%j → null',
    (input) => {
      expect(legacyTimestamp(input)).toBeNull();
    },
  );
});

describe('dgaStandardFrom', () => {
  it.each([
    ['MAYOR', 'MAYOR', false],
    ['medio', 'MEDIO', false],
    ['CAUDALES_MUY_PEQUEÑOS', 'CAUDALES_MUY_PEQUENOS', false],
    ['SIN_ESTANDAR', 'MAYOR', true],
    ['OTRO', null, true],
    [null, null, false],
  ])('%j → %s', (input, standard, reported) => {
    const d = dgaStandardFrom(input);
    expect(d.standard).toBe(standard);
    expect(d.problem !== undefined).toBe(reported);
  });
});
