/**
 * Wall-clock conversions with Intl only. Works for fixed offsets (`Etc/GMT+4` = UTC−4) and for IANA
 * zones with daylight saving. Every function takes the zone explicitly: a forgotten argument must not
 * silently pick one.
 */
import { DAY_MS } from './time.js';

/** Local calendar fields; `month` is 1–12. Fields passed to `fromLocal` may overflow (hour 24, month 13). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** Local fields of `t` as Intl gives them (one formatToParts call: slow, a few microseconds). */
function intlLocal(t: Date, tz: string): LocalDateTime {
  const fields: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(t)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields['year'] ?? NaN,
    month: fields['month'] ?? NaN,
    day: fields['day'] ?? NaN,
    hour: fields['hour'] ?? NaN,
    minute: fields['minute'] ?? NaN,
    second: fields['second'] ?? NaN,
  };
}

function wallClockMs(l: LocalDateTime): number {
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
}

function intlOffsetMs(ms: number, tz: string): number {
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return wallClockMs(intlLocal(new Date(wholeSecond), tz)) - wholeSecond;
}

/**
 * The offset of each UTC day of a zone, or null on a day the offset is not the same at its first
 * and last second (a day with a change). A zone changes its offset at most once a day, so a day
 * whose two ends agree has one offset throughout. Bounded: cleared when it grows past DAYS_CACHED.
 */
const dayOffsets = new Map<string, Map<number, number | null>>();
const DAYS_CACHED = 200_000;

function dayOffset(day: number, tz: string): number | null {
  let days = dayOffsets.get(tz);
  if (!days) {
    days = new Map();
    dayOffsets.set(tz, days);
  }
  let off = days.get(day);
  if (off === undefined) {
    const first = intlOffsetMs(day * DAY_MS, tz);
    off = first === intlOffsetMs(day * DAY_MS + DAY_MS - 1000, tz) ? first : null;
    if (days.size >= DAYS_CACHED) days.clear();
    days.set(day, off);
  }
  return off;
}

/** Offset of local time from UTC at instant `ms`, in ms (UTC−4 → −14 400 000). */
export function offsetMs(ms: number, tz: string): number {
  return dayOffset(Math.floor(ms / DAY_MS), tz) ?? intlOffsetMs(ms, tz);
}

/**
 * Local calendar fields of an instant (to the second, as a clock shows them). Computed from the
 * day's offset (see dayOffset): Intl is asked twice per zone and UTC day, not once per call, which
 * made a year of hourly DGA slots of thousands of points cost tens of seconds.
 */
export function toLocal(t: Date, tz: string): LocalDateTime {
  const ms = t.getTime();
  if (Number.isNaN(ms)) return intlLocal(t, tz);
  const off = dayOffset(Math.floor(ms / DAY_MS), tz);
  if (off === null) return intlLocal(t, tz);
  const d = new Date(ms + off);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * The instant a local wall-clock time denotes. Overflowing fields are normalised first.
 * Repeated times (clock set back) resolve to the earlier instant; skipped times (clock set
 * forward) to the instant of the change, i.e. the first existing moment after the gap.
 */
export function fromLocal(l: LocalDateTime, tz: string): Date {
  const wall = wallClockMs(l);
  const offsets = new Set([offsetMs(wall - DAY_MS, tz), offsetMs(wall, tz), offsetMs(wall + DAY_MS, tz)]);
  const valid: number[] = [];
  const all: number[] = [];
  for (const o of offsets) {
    const candidate = wall - o;
    all.push(candidate);
    if (offsetMs(candidate, tz) === o) valid.push(candidate);
  }
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...all));
}

/** Normalises overflowing fields (hour 24 → next day 00, month 13 → next January). */
export function normalizeLocal(l: LocalDateTime): LocalDateTime {
  const d = new Date(wallClockMs(l));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Start of a local calendar day `YYYY-MM-DD` as an instant. */
export function localMidnight(date: string, tz: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const l = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 0, minute: 0, second: 0 };
  if (normalizeLocal(l).day !== l.day) throw new RangeError(`no such day: ${date}`);
  return fromLocal(l, tz);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` and `HH:MM:SS` of an instant in `tz`: the DGA's fechaMedicion / horaMedicion. */
export function formatLocal(t: Date, tz: string): { date: string; time: string } {
  const l = toLocal(t, tz);
  return {
    date: `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}`,
    time: `${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}`,
  };
}
