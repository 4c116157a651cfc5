import { describe, expect, it } from 'vitest';
import { MAX_PUSH_READINGS, parsePushBody, parseTimestampWithOffset, storableText, unknownVariables } from './push.rules.js';

const ok = { variable: 'totalizador', ts: '2026-12-01T10:00:00Z', value: 917550 };

describe('parseTimestampWithOffset', () => {
  it.each([
    ['2026-12-01T10:00:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T10:00Z', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T07:00:00-03:00', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01T13:30:00+0330', '2026-12-01T10:00:00.000Z'],
    ['2026-12-01 10:00:00.123456+00:00', '2026-12-01T10:00:00.123Z'],
    ['2026-12-01T00:30:00+01:00', '2026-11-30T23:30:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseTimestampWithOffset(text)?.toISOString()).toBe(iso);
  });

  it.each(['2026-12-01T10:00:00', '2026-12-01', '2026-02-31T10:00:00Z', '2026-13-01T10:00:00Z', '2026-12-01T24:00:00Z', '2026-12-01T10:00:00+25:00', 'yesterday', '1764583200'])(
    'refuses %s',
    (text) => expect(parseTimestampWithOffset(text)).toBeNull(),
  );
});

describe('parsePushBody', () => {
  it('takes a list of readings and normalises timestamps to UTC', () => {
    const r = parsePushBody({ readings: [ok, { variable: 'nivel', ts: '2026-12-01T07:00:00-03:00', value: '30,5' }, { variable: 'bomba', ts: ok.ts, value: true }] });
    expect(r.issues).toEqual([]);
    expect(r.single).toBe(false);
    expect(r.readings.map((x) => x.reading)).toEqual([
      { variable: 'totalizador', ts: '2026-12-01T10:00:00.000Z', value: 917550 },
      { variable: 'nivel', ts: '2026-12-01T10:00:00.000Z', value: '30,5' },
      { variable: 'bomba', ts: '2026-12-01T10:00:00.000Z', value: true },
    ]);
  });

  it('takes a single reading', () => {
    const r = parsePushBody(ok);
    expect(r).toMatchObject({ single: true, issues: [], readings: [{ index: 0, reading: { variable: 'totalizador', value: 917550 } }] });
  });

  it.each([
    [{ readings: [ok, ok, ok, { ...ok, ts: '2026-12-01T10:00:00' }] }, 'readings[3].ts'],
    [{ readings: [{ ...ok, value: null }] }, 'readings[0].value'],
    [{ readings: [{ ...ok, value: { a: 1 } }] }, 'readings[0].value'],
    [{ readings: [{ ...ok, value: 'x'.repeat(257) }] }, 'readings[0].value'],
    [{ readings: [{ ...ok, value: 'a\u0000b' }] }, 'readings[0].value'],
    [{ readings: [{ ts: ok.ts, value: 1 }] }, 'readings[0].variable'],
    [{ readings: [{ ...ok, variable: 'v'.repeat(65) }] }, 'readings[0].variable'],
    [{ readings: [{ ...ok, unit: 'm3' }] }, 'readings[0].unit'],
    [{ readings: [7] }, 'readings[0]'],
    [{ readings: [] }, 'readings'],
    [{ readings: 'x' }, 'readings'],
    [{ readings: Array.from({ length: MAX_PUSH_READINGS + 1 }, () => ok) }, 'readings'],
    [{ ...ok, ts: 12 }, 'ts'],
    [[ok], 'body'],
    [null, 'body'],
  ])('names the field of a bad body (%#: %s)', (body, field) => {
    const r = parsePushBody(body);
    expect(r.issues[0]?.field).toBe(field);
    expect(r.issues[0]?.message).toContain(field);
  });

  it('reports every bad reading and keeps the good ones', () => {
    const r = parsePushBody({ readings: [ok, { ...ok, ts: 'no' }, ok, { ...ok, value: [] }] });
    expect(r.issues.map((i) => [i.index, i.field])).toEqual([[1, 'readings[1].ts'], [3, 'readings[3].value']]);
    expect(r.readings.map((x) => x.index)).toEqual([0, 2]);
  });

  it('accepts exactly the maximum number of readings', () => {
    const r = parsePushBody({ readings: Array.from({ length: MAX_PUSH_READINGS }, () => ok) });
    expect(r.issues).toEqual([]);
    expect(r.readings).toHaveLength(MAX_PUSH_READINGS);
  });
});

describe('unknownVariables', () => {
  it('names the reading, the variable and the ones the point has', () => {
    const parsed = parsePushBody({ readings: [ok, { ...ok, variable: 'presion' }] });
    const issues = unknownVariables(parsed, 7, new Set(['totalizador', 'caudal']));
    expect(issues).toEqual([{ index: 1, field: 'readings[1].variable', message: 'readings[1].variable: point 7 has no variable "presion" (its variables: caudal, totalizador)' }]);
  });

  it('names the field of a single reading without an index', () => {
    expect(unknownVariables(parsePushBody({ ...ok, variable: 'x' }), 7, new Set(['caudal']))[0]?.field).toBe('variable');
  });
});

describe('text the database could not store', () => {
  it.each([['value', { ...ok, value: 'a\ud800b' }], ['variable', { ...ok, variable: 'x\udc00' }], ['variable', { ...ok, variable: 'x\u0000' }]])('refuses a %s with a NUL or a lone surrogate', (field, reading) => {
    expect(parsePushBody(reading).issues[0]?.field).toBe(field);
  });

  it('keeps paired surrogates (emoji) and replaces NULs and lone surrogates in dead-letter text', () => {
    expect(parsePushBody({ ...ok, value: 'ok 💧' }).issues).toEqual([]);
    expect(storableText('a\u0000b\ud800c💧')).toBe('a\ufffdb\ufffdc💧');
  });
});
