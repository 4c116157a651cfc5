/**
 * DGA slot calendars: the local times at which each standard owes a reading.
 *
 *   MAYOR                  every hour, HH:00:00
 *   MEDIO                  every day, 00:00:00
 *   MENOR                  every month, day 1 00:00:00
 *   CAUDALES_MUY_PEQUENOS  1 January and 1 July, 00:00:00
 *
 * Slot times are wall-clock times in the report time zone (`config.reportTimezone`, set by
 * DGA_TIMEZONE) and are returned as UTC instants.
 *
 * Data window of a slot: (previous slot, slot]. A slot reports the average caudal over the period
 * that ends at the slot, and the totalizer and water table at the slot time — e.g. the MAYOR slot
 * 13:00 carries the mean flow of 12:00–13:00 and the totalizer read at 13:00; the MEDIO slot
 * 2026-06-12 00:00 carries the day of 11 June. Why the period that *ends* at the slot: the
 * totalizer at the slot time then closes exactly the volume the caudal describes
 * (caudal × window = totalizer(slot) − totalizer(previous slot)), the reading can be computed
 * as soon as the slot time has passed, and it is how meters and the original system report
 * (hourly flow = average of the last hour).
 */
import {
  fromLocal,
  normalizeLocal,
  toLocal,
  type LocalDateTime,
} from '../lib/timezone.js';
import type { DgaStandard } from './types.js';
import { DAY_MS } from '../lib/time.js';


/**
 * How far back missed slots are still back-filled, per standard. MAYOR: a week of hours (168 slots);
 * MEDIO: a month of days; MENOR: a quarter (3 slots); CAUDALES_MUY_PEQUENOS: a year (2 slots).
 * Older gaps are an operator's decision, not something to flood DGA with after an outage.
 */
export const DEFAULT_MAX_BACKFILL_MS: Readonly<Record<DgaStandard, number>> = {
  MAYOR: 7 * DAY_MS,
  MEDIO: 31 * DAY_MS,
  MENOR: 93 * DAY_MS,
  CAUDALES_MUY_PEQUENOS: 366 * DAY_MS,
};

function floorLabel(standard: DgaStandard, l: LocalDateTime): LocalDateTime {
  switch (standard) {
    case 'MAYOR':
      return { ...l, minute: 0, second: 0 };
    case 'MEDIO':
      return { ...l, hour: 0, minute: 0, second: 0 };
    case 'MENOR':
      return { ...l, day: 1, hour: 0, minute: 0, second: 0 };
    case 'CAUDALES_MUY_PEQUENOS':
      return { ...l, month: l.month >= 7 ? 7 : 1, day: 1, hour: 0, minute: 0, second: 0 };
  }
}

function stepLabel(standard: DgaStandard, l: LocalDateTime, n: number): LocalDateTime {
  switch (standard) {
    case 'MAYOR':
      return normalizeLocal({ ...l, hour: l.hour + n });
    case 'MEDIO':
      return normalizeLocal({ ...l, day: l.day + n });
    case 'MENOR':
      return normalizeLocal({ ...l, month: l.month + n });
    case 'CAUDALES_MUY_PEQUENOS':
      return normalizeLocal({ ...l, month: l.month + 6 * n });
  }
}

/** The latest slot at or before `t`, with the local label it was built from. */
function floorSlot(standard: DgaStandard, t: Date, tz: string): { at: Date; label: LocalDateTime } {
  let label = floorLabel(standard, toLocal(t, tz));
  let at = fromLocal(label, tz);
  // Only around a daylight-saving change can the floored label land after t.
  while (at.getTime() > t.getTime()) {
    label = stepLabel(standard, label, -1);
    at = fromLocal(label, tz);
  }
  return { at, label };
}

/** The latest slot time ≤ t. */
export function slotStart(standard: DgaStandard, t: Date, tz: string): Date {
  return floorSlot(standard, t, tz).at;
}

/** The earliest slot time > t. */
export function nextSlot(standard: DgaStandard, t: Date, tz: string): Date {
  const { label } = floorSlot(standard, t, tz);
  for (let n = 1; ; n++) {
    const at = fromLocal(stepLabel(standard, label, n), tz);
    if (at.getTime() > t.getTime()) return at;
  }
}

/** The latest slot time < t. */
export function previousSlot(standard: DgaStandard, t: Date, tz: string): Date {
  return slotStart(standard, new Date(t.getTime() - 1), tz);
}

/** The data window (from, to] a slot reports on: from the previous slot to the slot itself. */
export function slotWindow(standard: DgaStandard, slot: Date, tz: string): { from: Date; to: Date } {
  return { from: previousSlot(standard, slot, tz), to: slot };
}

export interface DueSlotsOptions {
  /** Nothing before this instant is reported. */
  startDate: Date;
  /** The most recent slot that already has a DGA receipt; only later slots are due. */
  lastReceiptSlot?: Date | null;
  /** Timestamp of the newest stored reading; null when the point has no data yet. */
  dataUntil: Date | null;
  now: Date;
  /** Oldest slot age still back-filled, in ms; defaults to DEFAULT_MAX_BACKFILL_MS[standard]. */
  maxBackfill?: number;
  tz: string;
  /** Safety cap on the number of slots returned. */
  limit?: number;
}

/**
 * Slots that should be reported now, oldest first: at or after the start date, after the last
 * receipt, no older than now − maxBackfill, and not after now nor after the newest data (a slot
 * is never reported before the data for its time exists).
 */
export function dueSlots(standard: DgaStandard, opts: DueSlotsOptions): Date[] {
  if (!opts.dataUntil) return [];
  const tz = opts.tz;
  const maxBackfill = opts.maxBackfill ?? DEFAULT_MAX_BACKFILL_MS[standard];
  const limit = opts.limit ?? 10_000;
  const upper = Math.min(opts.now.getTime(), opts.dataUntil.getTime());
  const lower = Math.max(opts.startDate.getTime(), opts.now.getTime() - maxBackfill);
  if (!Number.isFinite(upper) || Number.isNaN(lower)) return [];

  let slot = slotStart(standard, new Date(lower), tz);
  if (slot.getTime() < lower) slot = nextSlot(standard, slot, tz);
  const last = opts.lastReceiptSlot;
  if (last && slot.getTime() <= last.getTime()) slot = nextSlot(standard, last, tz);

  const due: Date[] = [];
  while (slot.getTime() <= upper && due.length < limit) {
    due.push(slot);
    slot = nextSlot(standard, slot, tz);
  }
  return due;
}
