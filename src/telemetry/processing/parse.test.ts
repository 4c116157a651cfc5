import { describe, expect, it } from 'vitest';
import { describeRaw, parseBoolean, parseNumber, parseText } from './parse.js';

describe('parseNumber', () => {
  it('reads numbers and the strings providers send', () => {
    expect(parseNumber(812)).toBe(812);
    expect(parseNumber('812')).toBe(812);
    expect(parseNumber(' 15.31 ')).toBe(15.31);
    expect(parseNumber('-3')).toBe(-3);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1e3')).toBe(1000);
  });

  it('reads a single decimal comma as Chilean loggers write it', () => {
    expect(parseNumber('12,5')).toBe(12.5);
    expect(parseNumber('-0,75')).toBe(-0.75);
  });

  it('rejects what could be read two ways or is not a number', () => {
    for (const raw of ['', '  ', 'abc', '1.234,5', '1,234.5', '1,2,3', '812 m3', '0x10', 'NaN', 'Infinity', '12.5.1']) {
      expect(parseNumber(raw), JSON.stringify(raw)).toBeNull();
    }
    for (const raw of [null, undefined, true, false, Number.NaN, Number.POSITIVE_INFINITY, { value: 1 }, [1]]) {
      expect(parseNumber(raw)).toBeNull();
    }
  });
});

describe('parseBoolean', () => {
  it('reads booleans, 1/0 and common words in any case', () => {
    expect(parseBoolean(true)).toBe(true);
    expect(parseBoolean(0)).toBe(false);
    expect(parseBoolean('TRUE')).toBe(true);
    expect(parseBoolean(' off ')).toBe(false);
    expect(parseBoolean('Sí')).toBe(true);
    expect(parseBoolean('1')).toBe(true);
  });
  it('rejects anything else', () => {
    expect(parseBoolean('maybe')).toBeNull();
    expect(parseBoolean(2)).toBeNull();
    expect(parseBoolean(null)).toBeNull();
  });
});

describe('parseText', () => {
  it('keeps strings, writes scalars and objects as text', () => {
    expect(parseText('BOMBA ON')).toBe('BOMBA ON');
    expect(parseText('')).toBe('');
    expect(parseText(42)).toBe('42');
    expect(parseText(false)).toBe('false');
    expect(parseText({ a: 1 })).toBe('{"a":1}');
    expect(parseText(null)).toBeNull();
    expect(parseText(undefined)).toBeNull();
  });
});

describe('describeRaw', () => {
  it('quotes strings and shortens long values', () => {
    expect(describeRaw('abc')).toBe('"abc"');
    expect(describeRaw(null)).toBe('null');
    expect(describeRaw(undefined)).toBe('undefined');
    expect(describeRaw('x'.repeat(100))).toHaveLength(61);
  });
});
