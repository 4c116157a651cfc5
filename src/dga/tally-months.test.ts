import { describe, expect, it } from 'vitest';
import { addOutcomes, splitByMonths, type TallyMonth } from './tally-months.js';
import { emptyTally } from './compliance.js';

const DAY = 86_400_000;
const OFF = 4 * 3_600_000; // months of a fixed UTC−4 zone
const at = (iso: string) => Date.parse(`${iso}Z`) + OFF;
const months = (first: string, n: number, differs: string[] = []): TallyMonth[] =>
  Array.from({ length: n }, (_, i) => {
    const [y, m] = first.split('-').map(Number) as [number, number];
    const label = (k: number) => new Date(Date.UTC(y, m - 1 + k, 1)).toISOString().slice(0, 10);
    return { month: `${label(i)} 00:00:00`, lo: new Date(at(`${label(i)}T00:00:00`)), hi: new Date(at(`${label(i + 1)}T00:00:00`)), differs: differs.includes(label(i)) };
  });
const range = (a: number, b: number) => ({ from: new Date(a), to: new Date(b) });

describe('splitByMonths', () => {
  it('takes the months past their grace, subtracting the edge before lower, and counts the rest row by row', () => {
    const lower = at('2025-12-03T14:00:00');
    const upper = at('2026-12-03T13:59:59.999');
    const graceFrom = upper + 1 - 3_600_000;
    const s = splitByMonths({ lower, upper, graceFrom }, months('2025-12', 13));
    // December 2025 is mostly inside (taken, its first days subtracted); December 2026 mostly not (rows).
    expect(s.months).toEqual({ first: '2025-12-01 00:00:00', last: '2026-11-01 00:00:00' });
    expect(s.skip).toEqual([]);
    expect(s.end.getTime()).toBe(graceFrom);
    expect(s.scan).toEqual([
      // Before lower (subtracted from December's tally) and December's first day (row by row, a margin).
      range(at('2025-11-30T00:00:00'), lower),
      // November's last day (a margin) and December 2026 up to now, row by row.
      range(at('2026-11-30T00:00:00'), upper + 1),
    ]);
  });

  it('leaves a month mostly outside the window to the rows', () => {
    const s = splitByMonths(
      { lower: at('2026-03-20T00:00:00'), upper: at('2026-06-10T00:00:00'), graceFrom: at('2026-06-11T00:00:00') },
      months('2026-03', 4),
    );
    expect(s.months).toEqual({ first: '2026-04-01 00:00:00', last: '2026-05-01 00:00:00' });
    expect(s.scan).toEqual([
      range(at('2026-03-20T00:00:00'), at('2026-04-02T00:00:00')),
      range(at('2026-05-31T00:00:00'), at('2026-06-10T00:00:00') + 1),
    ]);
  });

  it('counts a month whose calendars differ row by row, a day either side included', () => {
    const s = splitByMonths(
      { lower: at('2026-01-01T00:00:00'), upper: at('2026-12-31T00:00:00'), graceFrom: at('2027-01-01T00:00:00') },
      months('2026-01', 12, ['2026-04-01']),
    );
    expect(s.skip).toEqual(['2026-04-01 00:00:00']);
    expect(s.scan).toContainEqual(range(at('2026-03-31T00:00:00'), at('2026-05-02T00:00:00')));
  });

  it('takes nothing from a window shorter than half a month, or when every month differs', () => {
    const short = splitByMonths({ lower: at('2026-06-03T00:00:00'), upper: at('2026-06-12T00:00:00'), graceFrom: at('2026-06-13T00:00:00') }, months('2026-06', 1));
    expect(short).toEqual({ months: null, skip: [], end: new Date(at('2026-06-12T00:00:00') + 1), scan: [range(at('2026-06-03T00:00:00'), at('2026-06-12T00:00:00') + 1)] });
    const differ = splitByMonths({ lower: at('2026-01-01T00:00:00'), upper: at('2026-03-01T00:00:00'), graceFrom: at('2026-04-01T00:00:00') }, months('2026-01', 3, ['2026-01-01', '2026-02-01', '2026-03-01']));
    expect(differ.months).toBeNull();
    const empty = splitByMonths({ lower: 10 * DAY, upper: 5 * DAY, graceFrom: 6 * DAY }, months('2026-01', 1));
    expect(empty.scan).toEqual([]);
  });
});

describe('addOutcomes', () => {
  it('adds and subtracts outcomes, keeping with_row their sum', () => {
    const t = addOutcomes(emptyTally(), { sent_on_time: 5, sent_late: 2, pending: 1, failed: 1, needs_attention: 1 }, 1);
    addOutcomes(t, { sent_on_time: 1, sent_late: 0, pending: 1, failed: 0, needs_attention: 0 }, -1);
    expect(t).toEqual({ sent_on_time: 4, sent_late: 2, pending: 0, failed: 1, needs_attention: 1, with_row: 8, recent_with_row: 0 });
  });
});
