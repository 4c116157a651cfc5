import { describe, expect, it } from 'vitest';
import { parseInstant, parseRange, queryBounds } from './time.js';

describe('query instants', () => {
  it('takes an instant with an offset as it is', () => {
    expect(parseInstant('2025-03-01T10:00:00Z', 'from', 'Etc/GMT+4').toISOString()).toBe('2025-03-01T10:00:00.000Z');
    expect(parseInstant('2025-03-01T10:00:00.250-03:00', 'from', 'Etc/GMT+4').toISOString()).toBe('2025-03-01T13:00:00.250Z');
  });

  it('reads dates and offset-less times as wall-clock time in the DGA time zone', () => {
    expect(parseInstant('2025-03-01', 'from', 'Etc/GMT+4').toISOString()).toBe('2025-03-01T04:00:00.000Z');
    expect(parseInstant('2025-03-01T08:30', 'from', 'Etc/GMT+4').toISOString()).toBe('2025-03-01T12:30:00.000Z');
  });

  it('rejects what is not a calendar date, naming the field', () => {
    expect(() => parseInstant('2025-02-30', 'to', 'UTC')).toThrow(/to is not a valid calendar date/);
    expect(() => parseInstant('yesterday', 'from', 'UTC')).toThrow(/from must be an ISO 8601/);
  });

  it('defaults to the span before now and wants from before to', () => {
    const now = new Date('2025-03-01T00:00:00Z');
    expect(parseRange({}, 'UTC', 3_600_000, now)).toEqual({ from: new Date('2025-02-28T23:00:00Z'), to: now });
    expect(() => parseRange({ from: '2025-03-02T00:00:00Z', to: '2025-03-01T00:00:00Z' }, 'UTC', 1, now)).toThrow(/from must be before to/);
  });

  it('clamps to the retention and now before any work, and refuses a range wholly outside', () => {
    const now = new Date('2026-12-02T20:00:00Z');
    const bounds = queryBounds(now, 3650);
    expect(bounds).toEqual({ earliest: new Date(now.getTime() - 3681 * 86_400_000), latest: new Date('2026-12-02T21:00:00Z') });
    expect(parseRange({ from: '0100-01-01', to: '9999-12-31' }, 'America/Santiago', 86_400_000, now, bounds)).toEqual({ from: bounds.earliest, to: bounds.latest });
    expect(parseRange({ to: '9999-12-31' }, 'UTC', 3_600_000, now, bounds)).toEqual({ from: now, to: bounds.latest });
    const inside = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };
    expect(parseRange(inside, 'UTC', 1, now, bounds)).toEqual({ from: new Date(inside.from), to: new Date(inside.to) });
    expect(() => parseRange({ from: '2099-01-01', to: '2099-02-01' }, 'UTC', 1, now, bounds)).toThrow(/from .* is in the future/);
    expect(() => parseRange({ from: '1900-01-01', to: '1901-01-01' }, 'UTC', 1, now, bounds)).toThrow(/before the oldest data kept/);
    expect(() => parseRange({ from: '2099-02-01', to: '2099-01-01' }, 'UTC', 1, now, bounds)).toThrow(/from must be before to/);
  });
});
