/**
 * Compliance of DGA reporting over a period: for every slot a point owed, what became of it.
 *
 * A slot is owed when it lies in [from, to), at or after the point's DGA start date, and not after now.
 * Each owed slot is counted in exactly one bucket:
 *
 *   sent_on_time     a receipt obtained within ON_TIME_GRACE_MS of the slot (MAYOR: 1 h, MEDIO: 24 h,
 *                    MENOR and CAUDALES_MUY_PEQUENOS: 7 days). The slot's data window closes at the slot
 *                    time, so this is the delay between the data existing and DGA holding it.
 *   sent_late        a receipt obtained later than that (a back-filled slot).
 *   pending          not sent yet but still being worked on: queued, being sent, waiting for data, or
 *                    without a row yet while its on-time grace has not run out.
 *   failed           the last attempt failed (a retry may still be scheduled, see the submission).
 *   needs_attention  DGA refused the credentials or gave no receipt; an operator must act.
 *   missing          no submission at all and the grace has run out (no data, reporting was off, …).
 *
 * due = sent_on_time + sent_late + pending + failed + needs_attention + missing.
 */
import { nextSlot, slotStart } from './slots.js';
import type { DgaStandard } from './types.js';
import type { SubmissionStatus } from './dga.schemas.js';
import { DAY_MS, HOUR_MS } from '../lib/time.js';
import { offsetMs } from '../lib/timezone.js';

export const ON_TIME_GRACE_MS: Readonly<Record<DgaStandard, number>> = {
  MAYOR: HOUR_MS,
  MEDIO: DAY_MS,
  MENOR: 7 * DAY_MS,
  CAUDALES_MUY_PEQUENOS: 7 * DAY_MS,
};

export interface ComplianceCounts {
  due: number;
  sent_on_time: number;
  sent_late: number;
  pending: number;
  failed: number;
  needs_attention: number;
  missing: number;
}

export const COMPLIANCE_BUCKETS = ['sent_on_time', 'sent_late', 'pending', 'failed', 'needs_attention', 'missing'] as const;

export const emptyCounts = (): ComplianceCounts => ({
  due: 0,
  sent_on_time: 0,
  sent_late: 0,
  pending: 0,
  failed: 0,
  needs_attention: 0,
  missing: 0,
});

export function addCounts(into: ComplianceCounts, c: ComplianceCounts): ComplianceCounts {
  into.due += c.due;
  for (const k of COMPLIANCE_BUCKETS) into[k] += c[k];
  return into;
}

/** Share of owed slots sent on time, in percent with one decimal; null when nothing was owed. */
export function onTimePercent(c: ComplianceCounts): number | null {
  return c.due === 0 ? null : Math.round((c.sent_on_time / c.due) * 1000) / 10;
}

/** The slots of `standard` in [max(from, startDate), to) that are not after `now`, oldest first. */
export function owedSlots(
  standard: DgaStandard,
  p: { from: Date; to: Date; startDate: Date; now: Date; tz: string; limit?: number },
): Date[] {
  const lower = Math.max(p.from.getTime(), p.startDate.getTime());
  const upper = Math.min(p.to.getTime() - 1, p.now.getTime());
  const limit = p.limit ?? 100_000;
  let slot = slotStart(standard, new Date(lower), p.tz);
  if (slot.getTime() < lower) slot = nextSlot(standard, slot, p.tz);
  const out: Date[] = [];
  while (slot.getTime() <= upper && out.length < limit) {
    out.push(slot);
    slot = nextSlot(standard, slot, p.tz);
  }
  return out;
}

export interface SlotRecord {
  slot_at: Date;
  status: SubmissionStatus;
  sent_at: Date | null;
}

/**
 * The UTC offset of each UTC day, or null on a day the offset changes. MAYOR slots are the local
 * HH:00:00 instants, so on a day of one offset they are found by arithmetic; only the two days a
 * year with a daylight-saving change are walked slot by slot. Offsets are cached per day.
 */
function dayOffsets(tz: string): (dayMs: number) => number | null {
  const cache = new Map<number, number | null>();
  return (dayMs) => {
    let off = cache.get(dayMs);
    if (off === undefined) {
      const first = offsetMs(dayMs, tz);
      off = first === offsetMs(dayMs + DAY_MS - 1, tz) ? first : null;
      cache.set(dayMs, off);
    }
    return off;
  };
}

/** Local HH:00:00 instants in [a, b] (epoch ms, inclusive) under a fixed offset. */
function hoursUnderOffset(a: number, b: number, off: number): number {
  const first = Math.ceil((a + off) / HOUR_MS) * HOUR_MS - off;
  return first > b ? 0 : Math.floor((b - first) / HOUR_MS) + 1;
}

/**
 * How many slots `owedSlots` would list: those of `standard` in [max(from, startDate), to) not after
 * now. Counted, not listed: a year of MAYOR hours for many points must not cost a walk per hour.
 */
export function countOwedSlots(
  standard: DgaStandard,
  p: { from: Date; to: Date; startDate: Date; now: Date; tz: string },
  offsets = dayOffsets(p.tz),
): number {
  const lower = Math.max(p.from.getTime(), p.startDate.getTime());
  const upper = Math.min(p.to.getTime() - 1, p.now.getTime());
  if (upper < lower) return 0;
  if (standard !== 'MAYOR') return owedSlots(standard, { ...p, limit: Number.MAX_SAFE_INTEGER }).length;
  let n = 0;
  for (let a = lower; a <= upper; ) {
    const day = Math.floor(a / DAY_MS) * DAY_MS;
    const b = Math.min(upper, day + DAY_MS - 1);
    const off = offsets(day);
    n += off !== null
      ? hoursUnderOffset(a, b, off)
      : owedSlots(standard, { from: new Date(a), to: new Date(b + 1), startDate: new Date(a), now: new Date(b), tz: p.tz }).length;
    a = b + 1;
  }
  return n;
}

/** Whether `t` is one of the standard's slots (as `owedSlots` lists them). */
function isSlot(standard: DgaStandard, t: number, tz: string, offsets: (dayMs: number) => number | null): boolean {
  if (standard === 'MAYOR') {
    const off = offsets(Math.floor(t / DAY_MS) * DAY_MS);
    if (off !== null) return (t + off) % HOUR_MS === 0;
  }
  return slotStart(standard, new Date(t), tz).getTime() === t;
}

/**
 * What a point's submission rows say about its owed slots: each owed slot with a row counted once,
 * by outcome, and how many of them are still within their on-time grace. Rows that are not owed
 * slots of the standard (outside the period, before the start date, or not on its calendar) are
 * not counted. `tallySlots` makes it from rows; the repository makes it in SQL (slotTallies).
 */
export interface SlotTally {
  sent_on_time: number;
  sent_late: number;
  pending: number;
  failed: number;
  needs_attention: number;
  /** Owed slots that have a row. */
  with_row: number;
  /** Of those, slots at or after `graceFrom` (still within their on-time grace). */
  recent_with_row: number;
}

export const emptyTally = (): SlotTally => ({
  sent_on_time: 0, sent_late: 0, pending: 0, failed: 0, needs_attention: 0, with_row: 0, recent_with_row: 0,
});

/** The owed slots of a point in a period: [lower, upper] as instants, and the first slot still within its grace. */
export function owedWindow(input: { standard: DgaStandard; startDate: Date; from: Date; to: Date; now: Date }): {
  lower: number;
  upper: number;
  graceFrom: number;
} {
  return {
    lower: Math.max(input.from.getTime(), input.startDate.getTime()),
    upper: Math.min(input.to.getTime() - 1, input.now.getTime()),
    // Slots after this instant are still within their grace: without a row they are pending, not missing.
    graceFrom: input.now.getTime() - ON_TIME_GRACE_MS[input.standard] + 1,
  };
}

/** The tally of a point's submission rows (see SlotTally). */
export function tallySlots(input: {
  standard: DgaStandard;
  startDate: Date;
  from: Date;
  to: Date;
  now: Date;
  tz: string;
  submissions: readonly SlotRecord[];
}, offsets = dayOffsets(input.tz)): SlotTally {
  const grace = ON_TIME_GRACE_MS[input.standard];
  const { lower, upper, graceFrom } = owedWindow(input);
  const t = emptyTally();
  const seen = new Set<number>();
  for (const s of input.submissions) {
    const slot = s.slot_at.getTime();
    if (slot < lower || slot > upper || seen.has(slot) || !isSlot(input.standard, slot, input.tz, offsets)) continue;
    seen.add(slot);
    t.with_row++;
    if (slot >= graceFrom) t.recent_with_row++;
    switch (s.status) {
      case 'sent':
        if (s.sent_at && s.sent_at.getTime() - slot <= grace) t.sent_on_time++;
        else t.sent_late++;
        break;
      case 'pending':
      case 'sending':
        t.pending++;
        break;
      case 'failed':
        t.failed++;
        break;
      case 'needs_attention':
        t.needs_attention++;
        break;
    }
  }
  return t;
}

/** How many slots of `standard` lie in [lower, upper] (epoch ms, inclusive). */
export type OwedCounter = (standard: DgaStandard, lower: number, upper: number) => number;

/**
 * An OwedCounter by binary search in a list of every slot of a period (`owedSlots` of each standard):
 * exact for windows inside that period, and a lookup instead of a walk over each point's days.
 */
export function calendarCounter(calendar: readonly { standard: DgaStandard; at: Date }[]): OwedCounter {
  const byStandard = new Map<DgaStandard, number[]>();
  for (const c of calendar) {
    let list = byStandard.get(c.standard);
    if (!list) byStandard.set(c.standard, (list = []));
    list.push(c.at.getTime());
  }
  for (const list of byStandard.values()) list.sort((a, b) => a - b);
  // Index of the first element > t.
  const above = (list: readonly number[], t: number) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return (standard, lower, upper) => {
    const list = byStandard.get(standard);
    return !list || upper < lower ? 0 : above(list, upper) - above(list, lower - 1);
  };
}

/**
 * Counts each owed slot in one bucket. Slots with a submission are classified by it (the tally); the
 * others are counted arithmetically: pending while their on-time grace runs, missing after it. `count`
 * may answer the owed counts from a calendar of the period (calendarCounter).
 */
export function complianceOfTally(
  input: { standard: DgaStandard; startDate: Date; from: Date; to: Date; now: Date; tz: string },
  tally: SlotTally,
  offsets = dayOffsets(input.tz),
  count?: OwedCounter,
): ComplianceCounts {
  const { lower, upper, graceFrom } = owedWindow(input);
  const counts = emptyCounts();
  counts.due = count ? count(input.standard, lower, upper) : countOwedSlots(input.standard, input, offsets);
  counts.sent_on_time = tally.sent_on_time;
  counts.sent_late = tally.sent_late;
  counts.pending = tally.pending;
  counts.failed = tally.failed;
  counts.needs_attention = tally.needs_attention;
  let recent = 0;
  if (graceFrom <= upper) {
    recent = count
      ? count(input.standard, Math.max(graceFrom, lower), upper)
      : countOwedSlots(input.standard, { ...input, from: new Date(Math.max(graceFrom, input.from.getTime())) }, offsets);
  }
  const recentWithoutRow = recent - tally.recent_with_row;
  counts.pending += recentWithoutRow;
  counts.missing = counts.due - tally.with_row - recentWithoutRow;
  return counts;
}

/** `complianceOfTally` of the rows' tally: one point's compliance from its submission rows. */
export function pointCompliance(input: {
  standard: DgaStandard;
  startDate: Date;
  from: Date;
  to: Date;
  now: Date;
  tz: string;
  submissions: readonly SlotRecord[];
}): ComplianceCounts {
  const offsets = dayOffsets(input.tz);
  return complianceOfTally(input, tallySlots(input, offsets), offsets);
}

export interface CompliancePointLine extends ComplianceCounts {
  /** Sent slots whose readings staff corrected after sending (to rectify with the DGA). */
  receipted_with_superseded_data: number;
  point_id: number;
  point_title: string;
  client_id: number;
  client_name: string;
  codigo_obra: string | null;
  standard: DgaStandard;
  on_time_pct: number | null;
}

export interface ComplianceClientLine extends ComplianceCounts {
  client_id: number;
  client_name: string;
  points: number;
  on_time_pct: number | null;
}

const CSV_COLUMNS = [
  'level', 'client_id', 'client_name', 'point_id', 'point_title', 'codigo_obra', 'standard', 'due', ...COMPLIANCE_BUCKETS,
  'on_time_pct',
] as const;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // Quote separators and neutralise spreadsheet formulas in free text (titles, names).
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One line per point, then one per client, then the total; `level` says which. */
export function complianceCsv(r: {
  points: CompliancePointLine[];
  clients: ComplianceClientLine[];
  totals: ComplianceCounts & { on_time_pct: number | null };
}): string {
  const lines = [CSV_COLUMNS.join(',')];
  const line = (values: Record<string, unknown>) => lines.push(CSV_COLUMNS.map((c) => csvCell(values[c])).join(','));
  for (const p of r.points) line({ level: 'point', ...p });
  for (const c of r.clients) line({ level: 'client', ...c });
  line({ level: 'total', ...r.totals });
  return lines.join('\r\n') + '\r\n';
}
