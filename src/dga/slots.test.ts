import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BACKFILL_MS, dueSlots, nextSlot, previousSlot, slotStart, slotWindow } from './slots.js';
import { formatLocal, fromLocal, localMidnight } from '../lib/timezone.js';

const TZ = 'Etc/GMT+4';
const d = (iso: string): Date => new Date(iso);
const iso = (dates: Date[]): string[] => dates.map((x) => x.toISOString());

describe('DGA time zone (default Etc/GMT+4 = UTC−4)', () => {
  it('changes the date at local midnight, not at UTC midnight', () => {
    expect(formatLocal(d('2026-06-12T03:30:00Z'), TZ)).toEqual({ date: '2026-06-11', time: '23:30:00' });
    expect(formatLocal(d('2026-06-12T04:00:00Z'), TZ)).toEqual({ date: '2026-06-12', time: '00:00:00' });
  });
  it('turns a local calendar day into its first instant', () => {
    expect(localMidnight('2026-06-12', TZ).toISOString()).toBe('2026-06-12T04:00:00.000Z');
    expect(() => localMidnight('2026-02-30', TZ)).toThrow(RangeError);
  });
  it('resolves daylight-saving gaps and repeats in IANA zones', () => {
    const tz = 'America/Santiago';
    // 2026-09-06 00:00 does not exist in Santiago (clocks jump to 01:00 at 04:00Z)
    expect(fromLocal({ year: 2026, month: 9, day: 6, hour: 0, minute: 0, second: 0 }, tz).toISOString()).toBe(
      '2026-09-06T04:00:00.000Z',
    );
    // 2026-04-04 23:30 happens twice; the earlier one counts
    expect(fromLocal({ year: 2026, month: 4, day: 4, hour: 23, minute: 30, second: 0 }, tz).toISOString()).toBe(
      '2026-04-05T02:30:00.000Z',
    );
  });
});

describe('slot calendars', () => {
  it('MAYOR: every hour HH:00:00 local', () => {
    const t = d('2026-06-11T17:27:13Z'); // 13:27:13 local
    expect(slotStart('MAYOR', t, TZ).toISOString()).toBe('2026-06-11T17:00:00.000Z');
    expect(nextSlot('MAYOR', t, TZ).toISOString()).toBe('2026-06-11T18:00:00.000Z');
    expect(slotStart('MAYOR', d('2026-06-11T17:00:00Z'), TZ).toISOString()).toBe('2026-06-11T17:00:00.000Z');
    expect(nextSlot('MAYOR', d('2026-06-11T17:00:00Z'), TZ).toISOString()).toBe('2026-06-11T18:00:00.000Z');
    expect(previousSlot('MAYOR', d('2026-06-11T17:00:00Z'), TZ).toISOString()).toBe('2026-06-11T16:00:00.000Z');
  });

  it('MAYOR: the 23:00 local slot is on the previous UTC day boundary', () => {
    const slot = nextSlot('MAYOR', d('2026-06-12T02:30:00Z'), TZ);
    expect(slot.toISOString()).toBe('2026-06-12T03:00:00.000Z');
    expect(formatLocal(slot, TZ)).toEqual({ date: '2026-06-11', time: '23:00:00' });
  });

  it('MEDIO: daily at local midnight', () => {
    const t = d('2026-06-12T03:30:00Z'); // 2026-06-11 23:30 local
    expect(slotStart('MEDIO', t, TZ).toISOString()).toBe('2026-06-11T04:00:00.000Z');
    expect(nextSlot('MEDIO', t, TZ).toISOString()).toBe('2026-06-12T04:00:00.000Z');
  });

  it('MENOR: the 1st of each month, across month and year ends', () => {
    const endOfFebruary = d('2026-03-01T03:59:59Z'); // 2026-02-28 23:59:59 local
    expect(slotStart('MENOR', endOfFebruary, TZ).toISOString()).toBe('2026-02-01T04:00:00.000Z');
    expect(nextSlot('MENOR', endOfFebruary, TZ).toISOString()).toBe('2026-03-01T04:00:00.000Z');
    expect(nextSlot('MENOR', d('2026-12-15T12:00:00Z'), TZ).toISOString()).toBe('2027-01-01T04:00:00.000Z');
    expect(previousSlot('MENOR', d('2027-01-01T04:00:00Z'), TZ).toISOString()).toBe('2026-12-01T04:00:00.000Z');
  });

  it('CAUDALES_MUY_PEQUENOS: 1 January and 1 July', () => {
    expect(slotStart('CAUDALES_MUY_PEQUENOS', d('2026-03-10T00:00:00Z'), TZ).toISOString()).toBe('2026-01-01T04:00:00.000Z');
    expect(nextSlot('CAUDALES_MUY_PEQUENOS', d('2026-03-10T00:00:00Z'), TZ).toISOString()).toBe('2026-07-01T04:00:00.000Z');
    // 2026-07-01 03:00Z is still 30 June locally
    expect(slotStart('CAUDALES_MUY_PEQUENOS', d('2026-07-01T03:00:00Z'), TZ).toISOString()).toBe('2026-01-01T04:00:00.000Z');
    expect(nextSlot('CAUDALES_MUY_PEQUENOS', d('2026-07-01T04:00:00Z'), TZ).toISOString()).toBe('2027-01-01T04:00:00.000Z');
    expect(previousSlot('CAUDALES_MUY_PEQUENOS', d('2026-01-01T04:00:00Z'), TZ).toISOString()).toBe('2025-07-01T04:00:00.000Z');
  });

  it('a slot reports on the period that ends at it', () => {
    expect(iso(Object.values(slotWindow('MAYOR', d('2026-06-11T17:00:00Z'), TZ)))).toEqual([
      '2026-06-11T16:00:00.000Z',
      '2026-06-11T17:00:00.000Z',
    ]);
    expect(slotWindow('MEDIO', d('2026-06-12T04:00:00Z'), TZ).from.toISOString()).toBe('2026-06-11T04:00:00.000Z');
    expect(slotWindow('CAUDALES_MUY_PEQUENOS', d('2026-07-01T04:00:00Z'), TZ).from.toISOString()).toBe(
      '2026-01-01T04:00:00.000Z',
    );
  });

  it('in a daylight-saving zone the daily slot is the first instant of the day', () => {
    const tz = 'America/Santiago';
    expect(nextSlot('MEDIO', d('2026-09-05T12:00:00Z'), tz).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(nextSlot('MEDIO', d('2026-09-06T04:00:00Z'), tz).toISOString()).toBe('2026-09-07T03:00:00.000Z');
  });
});

describe('dueSlots', () => {
  const now = d('2026-06-11T18:10:00Z'); // 14:10 local

  it('is empty while the point has no data', () => {
    expect(dueSlots('MAYOR', { startDate: d('2026-06-01T00:00:00Z'), dataUntil: null, now, tz: TZ })).toEqual([]);
  });

  it('starts at the start date, oldest first, up to now', () => {
    const due = dueSlots('MAYOR', { startDate: d('2026-06-11T14:30:00Z'), dataUntil: now, now, tz: TZ });
    expect(iso(due)).toEqual([
      '2026-06-11T15:00:00.000Z',
      '2026-06-11T16:00:00.000Z',
      '2026-06-11T17:00:00.000Z',
      '2026-06-11T18:00:00.000Z',
    ]);
  });

  it('includes a start date that is itself a slot', () => {
    const due = dueSlots('MAYOR', { startDate: d('2026-06-11T17:00:00Z'), dataUntil: now, now, tz: TZ });
    expect(iso(due)[0]).toBe('2026-06-11T17:00:00.000Z');
  });

  it('never reports a slot before data exists for its time', () => {
    const due = dueSlots('MAYOR', { startDate: d('2026-06-11T14:30:00Z'), dataUntil: d('2026-06-11T17:59:00Z'), now, tz: TZ });
    expect(iso(due)).toEqual(['2026-06-11T15:00:00.000Z', '2026-06-11T16:00:00.000Z', '2026-06-11T17:00:00.000Z']);
  });

  it('continues after the last receipt', () => {
    const due = dueSlots('MAYOR', {
      startDate: d('2026-06-01T00:00:00Z'),
      lastReceiptSlot: d('2026-06-11T16:00:00Z'),
      dataUntil: now,
      now,
      tz: TZ,
    });
    expect(iso(due)).toEqual(['2026-06-11T17:00:00.000Z', '2026-06-11T18:00:00.000Z']);
  });

  it('back-fills at most maxBackfill (7 days of hours for MAYOR by default)', () => {
    const due = dueSlots('MAYOR', { startDate: d('2025-01-01T00:00:00Z'), dataUntil: now, now, tz: TZ });
    expect(due).toHaveLength(168);
    expect(due[0]!.toISOString()).toBe('2026-06-04T19:00:00.000Z');
    expect(due.at(-1)!.toISOString()).toBe('2026-06-11T18:00:00.000Z');
    const short = dueSlots('MAYOR', { startDate: d('2025-01-01T00:00:00Z'), dataUntil: now, now, maxBackfill: 2 * 3_600_000, tz: TZ });
    expect(iso(short)).toEqual(['2026-06-11T17:00:00.000Z', '2026-06-11T18:00:00.000Z']);
  });

  it('uses per-standard defaults that always reach the latest slot', () => {
    const monthly = dueSlots('MENOR', { startDate: d('2020-01-01T00:00:00Z'), dataUntil: now, now, tz: TZ });
    expect(iso(monthly)).toEqual(['2026-04-01T04:00:00.000Z', '2026-05-01T04:00:00.000Z', '2026-06-01T04:00:00.000Z']);
    const twiceAYear = dueSlots('CAUDALES_MUY_PEQUENOS', { startDate: d('2020-01-01T00:00:00Z'), dataUntil: now, now, tz: TZ });
    expect(iso(twiceAYear)).toEqual(['2025-07-01T04:00:00.000Z', '2026-01-01T04:00:00.000Z']);
    expect(DEFAULT_MAX_BACKFILL_MS.MEDIO).toBe(31 * 86_400_000);
  });

  it('a daily slot is due only once its local midnight has passed', () => {
    const start = d('2026-06-10T04:00:00Z');
    const before = dueSlots('MEDIO', { startDate: start, dataUntil: d('2026-06-12T03:30:00Z'), now: d('2026-06-12T03:30:00Z'), tz: TZ });
    expect(iso(before)).toEqual(['2026-06-10T04:00:00.000Z', '2026-06-11T04:00:00.000Z']);
    const after = dueSlots('MEDIO', { startDate: start, dataUntil: d('2026-06-12T04:01:00Z'), now: d('2026-06-12T04:01:00Z'), tz: TZ });
    expect(after.at(-1)!.toISOString()).toBe('2026-06-12T04:00:00.000Z');
  });
});
