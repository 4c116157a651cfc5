import { describe, expect, it } from 'vitest';
import { correctedState, effectiveValue, MAX_REASON_CHARS, validateCorrection, type CorrectionRequest } from './correction.rules.js';

const T = (iso: string) => new Date(iso);

describe('validateCorrection', () => {
  it.each<[string, CorrectionRequest, object]>([
    ['one reading, a new value', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: 12.5, reason: ' meter swap ' },
      { variable: 'flow', from: T('2025-03-10T10:00:00Z'), to: T('2025-03-10T10:00:00Z'), action: 'set_value', value: 12.5, reason: 'meter swap' }],
    ['one reading invalidated', { variable: 'flow', ts: '2025-03-10T07:00:00-03:00', action: 'invalidate', reason: 'sensor fault' },
      { from: T('2025-03-10T10:00:00Z'), to: T('2025-03-10T10:00:00Z'), action: 'invalidate', value: null }],
    ['a range invalidated', { variable: 'flow', from: '2025-03-10T00:00:00Z', to: '2025-03-11T00:00:00Z', action: 'invalidate', reason: 'x' },
      { from: T('2025-03-10T00:00:00Z'), to: T('2025-03-11T00:00:00Z'), action: 'invalidate' }],
    ['a range set to a value, zero allowed', { variable: 'flow', from: '2025-03-10T00:00:00Z', to: '2025-03-10T00:00:00Z', action: 'set_value', value: 0, reason: 'x' },
      { action: 'set_value', value: 0 }],
  ])('accepts %s', (_name, req, expected) => {
    const r = validateCorrection(req);
    expect(r).toMatchObject({ ok: true, value: expected });
  });

  it.each<[string, CorrectionRequest, string]>([
    ['no variable', { ts: '2025-03-10T10:00:00Z', value: 1, reason: 'x' }, 'variable'],
    ['empty variable', { variable: ' ', ts: '2025-03-10T10:00:00Z', value: 1, reason: 'x' }, 'variable'],
    ['no reason', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: 1 }, 'reason'],
    ['blank reason', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: 1, reason: '   ' }, 'reason'],
    ['reason too long', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: 1, reason: 'x'.repeat(MAX_REASON_CHARS + 1) }, 'reason'],
    ['a ts without offset', { variable: 'flow', ts: '2025-03-10T10:00:00', value: 1, reason: 'x' }, 'ts'],
    ['a ts that is no date', { variable: 'flow', ts: '2025-13-45T10:00:00Z', value: 1, reason: 'x' }, 'ts'],
    ['ts and a range at once', { variable: 'flow', ts: '2025-03-10T10:00:00Z', from: '2025-03-10T10:00:00Z', value: 1, reason: 'x' }, 'ts'],
    ['neither ts nor range', { variable: 'flow', value: 1, reason: 'x' }, 'from'],
    ['from without to', { variable: 'flow', from: '2025-03-10T10:00:00Z', value: 1, reason: 'x' }, 'to'],
    ['to before from', { variable: 'flow', from: '2025-03-10T10:00:00Z', to: '2025-03-10T09:00:00Z', value: 1, reason: 'x' }, 'to'],
    ['a range over 366 days', { variable: 'flow', from: '2024-01-01T00:00:00Z', to: '2025-01-02T00:00:01Z', action: 'invalidate', reason: 'x' }, 'to'],
    ['an unknown action', { variable: 'flow', ts: '2025-03-10T10:00:00Z', action: 'revert', reason: 'x' }, 'action'],
    ['set_value without value', { variable: 'flow', ts: '2025-03-10T10:00:00Z', reason: 'x' }, 'value'],
    ['a value as text', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: '12', reason: 'x' }, 'value'],
    ['an infinite value', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: Infinity, reason: 'x' }, 'value'],
    ['NaN', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: NaN, reason: 'x' }, 'value'],
    ['a huge value', { variable: 'flow', ts: '2025-03-10T10:00:00Z', value: 1e300, reason: 'x' }, 'value'],
    ['a value with invalidate', { variable: 'flow', ts: '2025-03-10T10:00:00Z', action: 'invalidate', value: 3, reason: 'x' }, 'value'],
  ])('refuses %s, naming the field', (_name, req, field) => {
    const r = validateCorrection(req);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe(field);
      expect(r.message).toMatch(new RegExp(field));
    }
  });

  it('a range of exactly 366 days is allowed', () => {
    expect(validateCorrection({ variable: 'v', from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z', action: 'invalidate', reason: 'x' }).ok).toBe(true);
  });
});

describe('effectiveValue', () => {
  it.each([
    [{ value_numeric: 5, corrected_value: null, is_invalid: false }, 5],
    [{ value_numeric: 5, corrected_value: 7, is_invalid: false }, 7],
    [{ value_numeric: 5, corrected_value: 0, is_invalid: false }, 0],
    [{ value_numeric: null, corrected_value: 7, is_invalid: false }, 7],
    [{ value_numeric: 5, corrected_value: null, is_invalid: true }, null],
    [{ value_numeric: 5, corrected_value: 7, is_invalid: true }, null],
  ])('%o → %s', (r, expected) => expect(effectiveValue(r)).toBe(expected));
});

describe('correctedState', () => {
  const ts = T('2025-03-10T10:00:00Z');
  const set = (id: number, value: number, from = ts, to = ts) => ({ id, from, to, action: 'set_value' as const, value });
  const inv = (id: number, from = ts, to = ts) => ({ id, from, to, action: 'invalidate' as const, value: null });

  it('no correction: the recorded value stands', () => expect(correctedState(ts, [])).toEqual({ corrected_value: null, is_invalid: false }));
  it('the newest covering correction wins, whatever the order given', () => {
    expect(correctedState(ts, [set(3, 9), set(1, 4), inv(2)])).toEqual({ corrected_value: 9, is_invalid: false });
    expect(correctedState(ts, [set(1, 4), inv(2)])).toEqual({ corrected_value: null, is_invalid: true });
  });
  it('ranges are inclusive at both ends and corrections outside do not count', () => {
    expect(correctedState(ts, [inv(1, T('2025-03-10T09:00:00Z'), ts)]).is_invalid).toBe(true);
    expect(correctedState(ts, [inv(1, ts, T('2025-03-10T11:00:00Z'))]).is_invalid).toBe(true);
    expect(correctedState(ts, [set(5, 1, T('2025-03-10T10:00:01Z'), T('2025-03-10T11:00:00Z')), set(2, 8)])).toEqual({ corrected_value: 8, is_invalid: false });
  });
});
