/**
 * Which part of a point's compliance period the monthly tallies answer (migrations/0021) and which part
 * is counted row by row.
 *
 * The database keeps, per point, standard and local month of the report zone, the outcomes of the
 * submission rows on the standard's calendar. A month is taken from there when the database's slot
 * calendar agrees with ours over it (not `differs`: a daylight-saving change the two zone libraries
 * resolve differently, or an offset off the 15-minute grid) and at least half of it lies in the part
 * of the period whose owed slots are past their grace, [lower, end); the rows of a taken month outside
 * that part are then subtracted (by the database's own rule, so exactly what the tally counted). Rows
 * of months not taken, and the slots still within their grace, are counted one by one. The database
 * knows a month by its local label; the instants of its rows lie within a day of [lo, hi) whatever the
 * zone's offset changes, so every range scanned for a month reaches a day beyond it.
 */
import { DAY_MS } from '../lib/time.js';
import type { SlotTally } from './compliance.js';

export interface TallyMonth {
  /** The month's local label as the database keys it (`YYYY-MM-01 00:00:00`). */
  month: string;
  /** The instants its local start and the next month's local start denote. */
  lo: Date;
  hi: Date;
  /** The database's slot calendar differs from ours somewhere in the month. */
  differs: boolean;
}

export interface TallySplit {
  /** Months [first, last] (labels) taken from the tallies, except `skip`; null when none. */
  months: { first: string; last: string } | null;
  /** Months between first and last whose rows are counted one by one. */
  skip: string[];
  /** Slots at or after this instant are counted one by one even in a taken month (still within their grace, or not owed). */
  end: Date;
  /**
   * Disjoint ranges [from, to) of slot times holding every row to count one by one (owed, and outside
   * the taken months or at/after `end`) and every row of a taken month to subtract (before lower or
   * at/after `end`).
   */
  scan: { from: Date; to: Date }[];
}

/**
 * The split of one point's period. `window` is the point's owed window (owedWindow): slots in
 * [lower, upper] are owed, those at or after graceFrom are still within their grace. `months` lists
 * the local months the period touches, in order.
 */
export function splitByMonths(
  window: { lower: number; upper: number; graceFrom: number },
  months: readonly TallyMonth[],
): TallySplit {
  const { lower, upper } = window;
  const end = Math.min(upper + 1, window.graceFrom);
  const owed: [number, number][] = upper >= lower ? [[lower, upper + 1]] : [];
  const inside = (m: TallyMonth) => Math.max(0, Math.min(m.hi.getTime(), end) - Math.max(m.lo.getTime(), lower));
  const taken = months.flatMap((m, i) => {
    const n = inside(m);
    return n > 0 && 2 * n >= m.hi.getTime() - m.lo.getTime() ? [i] : [];
  });
  const trusted = taken.filter((i) => !months[i]!.differs);
  if (trusted.length === 0) return { months: null, skip: [], end: new Date(end), scan: mergeRanges(owed) };
  const inner = months.slice(trusted[0], trusted[trusted.length - 1]! + 1);
  const first = inner[0]!;
  const last = inner[inner.length - 1]!;
  const skip = inner.filter((m) => m.differs);
  const ranges: [number, number][] = [
    // Counted one by one: owed rows before the first taken month, in skipped months, after the last or at/after end.
    ...clip([lower, first.lo.getTime() + DAY_MS], owed),
    ...skip.flatMap((m) => clip([m.lo.getTime() - DAY_MS, m.hi.getTime() + DAY_MS], owed)),
    ...clip([Math.min(end, last.hi.getTime() - DAY_MS), upper + 1], owed),
    // Subtracted: rows of the taken months before lower or at/after end.
    [first.lo.getTime() - DAY_MS, lower],
    [end, last.hi.getTime() + DAY_MS],
  ];
  return {
    months: { first: first.month, last: last.month },
    skip: skip.map((m) => m.month),
    end: new Date(end),
    scan: mergeRanges(ranges),
  };
}

function clip([a, b]: [number, number], within: readonly [number, number][]): [number, number][] {
  return within.map(([x, y]): [number, number] => [Math.max(a, x), Math.min(b, y)]).filter(([x, y]) => x < y);
}

/** Sorted, empty ones dropped and overlapping ones merged: every instant in at most one range. */
function mergeRanges(ranges: readonly [number, number][]): { from: Date; to: Date }[] {
  const sorted = ranges.filter(([a, b]) => a < b).map(([a, b]): [number, number] => [a, b]).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r[0] <= prev[1]) prev[1] = Math.max(prev[1], r[1]);
    else out.push(r);
  }
  return out.map(([a, b]) => ({ from: new Date(a), to: new Date(b) }));
}

export type Outcomes = Pick<SlotTally, 'sent_on_time' | 'sent_late' | 'pending' | 'failed' | 'needs_attention'>;

/** Adds (sign 1) or subtracts (sign -1) outcomes of owed slots past their grace to a tally. */
export function addOutcomes(into: SlotTally, o: Outcomes, sign: 1 | -1): SlotTally {
  into.sent_on_time += sign * o.sent_on_time;
  into.sent_late += sign * o.sent_late;
  into.pending += sign * o.pending;
  into.failed += sign * o.failed;
  into.needs_attention += sign * o.needs_attention;
  into.with_row += sign * (o.sent_on_time + o.sent_late + o.pending + o.failed + o.needs_attention);
  return into;
}
