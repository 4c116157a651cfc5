import { describe, expect, it } from 'vitest';
import { fromLocal, offsetMs, toLocal } from './timezone.js';

/** What Intl says, field by field: the reference the day-offset shortcut must agree with. */
const references = new Map<string, Intl.DateTimeFormat>();
function intl(t: Date, tz: string) {
  let f = references.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    references.set(tz, f);
  }
  const o: Record<string, number> = {};
  for (const p of f.formatToParts(t)) if (p.type !== 'literal') o[p.type] = Number(p.value);
  return { year: o['year'], month: o['month'], day: o['day'], hour: o['hour'], minute: o['minute'], second: o['second'] };
}

// Santiago changes at local midnight, London at 01:00 UTC, Lord Howe by 30 minutes, Kathmandu is +05:45,
// Etc/GMT+4 never changes; 1890 Santiago has an offset with seconds (local mean time).
const ZONES = ['America/Santiago', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Etc/GMT+4', 'UTC'];

describe('toLocal and offsetMs (per-day offsets)', () => {
  it('agree with Intl at every instant of two years, around every change, to the second', () => {
    const from = Date.UTC(2025, 0, 1);
    const to = Date.UTC(2027, 0, 1);
    for (const tz of ZONES) {
      // Every 37 minutes and 13.7 s: crosses every hour of the day and every change.
      for (let ms = from; ms < to; ms += 37 * 60_000 + 13_700) {
        const t = new Date(ms);
        expect(toLocal(t, tz), `${tz} ${t.toISOString()}`).toEqual(intl(t, tz));
      }
    }
  });

  it('agree with Intl in the seconds either side of a change', () => {
    // Santiago: 2026-04-05 00:00 local (03:00 UTC) back to 23:00; 2026-09-06 00:00 local (04:00 UTC) forward to 01:00.
    // London: 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC. Lord Howe: 2026-04-05 15:00 UTC (02:00 local, back 30 min).
    const changes: [string, number][] = [
      ['America/Santiago', Date.UTC(2026, 3, 5, 3)],
      ['America/Santiago', Date.UTC(2026, 8, 6, 4)],
      ['Europe/London', Date.UTC(2026, 2, 29, 1)],
      ['Europe/London', Date.UTC(2026, 9, 25, 1)],
      ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 15)],
    ];
    for (const [tz, at] of changes) {
      for (let ms = at - 3_000; ms <= at + 3_000; ms += 250) {
        const t = new Date(ms);
        expect(toLocal(t, tz), `${tz} ${t.toISOString()}`).toEqual(intl(t, tz));
      }
    }
    // The offset really changes there (the test is not comparing constants).
    expect(offsetMs(Date.UTC(2026, 3, 5, 2, 59, 59), 'America/Santiago')).toBe(-3 * 3_600_000);
    expect(offsetMs(Date.UTC(2026, 3, 5, 3), 'America/Santiago')).toBe(-4 * 3_600_000);
  });

  it('keeps offsets with seconds (local mean time) and the skipped midnight of a spring change', () => {
    const t = new Date(Date.UTC(1890, 5, 1, 12, 0, 0));
    expect(toLocal(t, 'America/Santiago')).toEqual(intl(t, 'America/Santiago'));
    // 2026-09-06 00:00 does not exist in Santiago: the first moment after the gap (01:00 local, 04:00 UTC).
    expect(fromLocal({ year: 2026, month: 9, day: 6, hour: 0, minute: 0, second: 0 }, 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('still refuses an unknown zone and an invalid date', () => {
    expect(() => toLocal(new Date(), 'Mars/Olympus')).toThrow(RangeError);
    expect(() => toLocal(new Date(NaN), 'UTC')).toThrow(RangeError);
  });
});
