import { fromLocal, toLocal } from '../../lib/timezone.js';
import { BACKLOG_GAP_MS } from '../processing/index.js';
import { DEFAULT_MAX_M3_PER_HOUR, DEFAULT_RESET_TOLERANCE_M3, type CounterLimits } from '../../registry/variables.js';
import { DAY_MS, HOUR_MS } from '../../lib/time.js';
import { round } from '../../lib/round.js';

/**
 * Extracted volume per local day or month from a continuous totalizer (m³), using the first and last
 * reading of each hourly rollup. Pure: no I/O.
 *
 * The volume of a period is the rise of the totalizer from the last reading before the period to the
 * last reading in it, so consecutive periods add up to the whole range and nothing falls between
 * them. A period without readings has no volume (null): what flowed then is counted in the next period
 * that has readings, whose `measured_from` says since when.
 *
 * The stored series is already continuous (the processor absorbs counter resets), but the walk does
 * not rely on it:
 * - a drop of at most the reset tolerance is jitter: nothing counted, the level stays;
 * - a larger drop is a counter that restarted from zero (history imported without compensation): the
 *   new reading is what it counted since;
 * - a rise faster than max m³/h (the processor's spike rule, not applied after a gap of more than 2 h)
 *   is held back: if the next reading falls back to the old level it was a glitch and is ignored; if the
 *   next reading continues from it, it is counted, as it is in the totalizer the processor keeps (and
 *   reports to DGA).
 *
 * Hourly first/last readings are needed only where the series is not simple: `wholeDays` tells which
 * UTC days can be taken from their daily rollup alone (monotone, plausible, no boundary inside, no
 * drop at either end), which gives the same volumes with a twentieth of the rows.
 */

export type PeriodKind = 'day' | 'month';

export interface Period {
  label: string;
  start: Date;
  end: Date;
}

export interface CounterReading {
  /** Epoch milliseconds. */
  ms: number;
  value: number;
}

/** One rollup bucket (hour or day) of the totalizer; times in epoch milliseconds. */
export interface CounterBucket {
  ms: number;
  first_ms: number;
  first_value: number;
  last_ms: number;
  last_value: number;
  min: number;
  max: number;
}

export type { CounterLimits };

export const DEFAULT_COUNTER_LIMITS: CounterLimits = {
  maxM3PerHour: DEFAULT_MAX_M3_PER_HOUR,
  resetToleranceM3: DEFAULT_RESET_TOLERANCE_M3,
};

export interface PeriodVolume {
  label: string;
  start: Date;
  end: Date;
  /** m³; null when the period has no reading. */
  volume_m3: number | null;
  /** The readings the volume is measured between. */
  measured_from: Date | null;
  measured_to: Date | null;
  /** Drops counted as counter restarts, and implausible rises left out. */
  resets: number;
  spikes_ignored: number;
}


/**
 * Local calendar periods of `tz` covering [from, to): from is moved back and to forward to whole periods.
 * Stops after `limit + 1` periods, so a caller refusing more than `limit` never pays for the rest.
 */
export function periodsBetween(from: Date, to: Date, kind: PeriodKind, tz: string, limit = Number.MAX_SAFE_INTEGER): Period[] {
  const pad = (n: number) => String(n).padStart(2, '0');
  const l = toLocal(from, tz);
  let cursor = kind === 'day' ? { year: l.year, month: l.month, day: l.day } : { year: l.year, month: l.month, day: 1 };
  const out: Period[] = [];
  let start = fromLocal({ ...cursor, hour: 0, minute: 0, second: 0 }, tz);
  while (start.getTime() < to.getTime() && out.length <= limit) {
    const next = kind === 'day' ? { ...cursor, day: cursor.day + 1 } : { ...cursor, month: cursor.month + 1 };
    const end = fromLocal({ ...next, hour: 0, minute: 0, second: 0 }, tz);
    const n = toLocal(new Date(end.getTime() + 1000), tz);
    const label = kind === 'day' ? `${cursor.year}-${pad(cursor.month)}-${pad(cursor.day)}` : `${cursor.year}-${pad(cursor.month)}`;
    out.push({ label, start, end });
    cursor = { year: n.year, month: n.month, day: kind === 'day' ? n.day : 1 };
    start = end;
  }
  return out;
}

/** Readings in time order from buckets: each bucket's first and (when later) last reading. */
export function readingsOf(buckets: readonly CounterBucket[]): CounterReading[] {
  const out: CounterReading[] = [];
  for (const b of buckets) {
    out.push({ ms: b.first_ms, value: b.first_value });
    if (b.last_ms > b.first_ms) out.push({ ms: b.last_ms, value: b.last_value });
  }
  return out;
}


/**
 * Which daily buckets can stand for their hours: no boundary strictly inside the day, monotone within
 * the tolerance, a rise the spike rule accepts over the day's span, and no drop from the day before or
 * into the day after (a reset or a reverted spike at the edge).
 */
export function wholeDays(days: readonly CounterBucket[], boundaries: readonly number[], limits: CounterLimits = DEFAULT_COUNTER_LIMITS): boolean[] {
  const tol = limits.resetToleranceM3;
  const sorted = [...boundaries].sort((a, b) => a - b);
  let bi = 0;
  return days.map((d, i) => {
    while (bi < sorted.length && sorted[bi]! <= d.ms) bi++;
    if (bi < sorted.length && sorted[bi]! < d.ms + DAY_MS) return false;
    if (d.min < d.first_value - tol || d.max > d.last_value + tol || d.last_value < d.first_value - tol) return false;
    const hours = Math.max(1, (d.last_ms - d.first_ms) / HOUR_MS);
    if (d.last_value - d.first_value > limits.maxM3PerHour * hours) return false;
    const prev = days[i - 1];
    const next = days[i + 1];
    if (prev && d.first_value < prev.last_value - tol) return false;
    if (next && next.first_value < d.last_value - tol) return false;
    return true;
  });
}

/**
 * Volume per period. `readings` in time order; those before the first period only set the starting
 * level (pass the last reading before the range first), those after the last period are ignored.
 */
export function volumeByPeriod(readings: readonly CounterReading[], periods: readonly Period[], limits: CounterLimits = DEFAULT_COUNTER_LIMITS): PeriodVolume[] {
  const out: PeriodVolume[] = periods.map((p) => ({
    label: p.label, start: p.start, end: p.end, volume_m3: null, measured_from: null, measured_to: null, resets: 0, spikes_ignored: 0,
  }));
  let level: CounterReading | null = null;
  let pending: CounterReading | null = null;
  let pendingPeriod: PeriodVolume | null = null;
  let pi = 0;
  const implausible = (rise: number, from: CounterReading, to: CounterReading) => {
    const dt = to.ms - from.ms;
    if (dt > BACKLOG_GAP_MS) return false;
    return dt <= 0 || rise / (dt / HOUR_MS) > limits.maxM3PerHour;
  };

  for (const r of readings) {
    const t = r.ms;
    while (pi < out.length && t >= out[pi]!.end.getTime()) pi++;
    if (pi >= out.length) break;
    const period = out[pi]!;
    const inPeriod = t >= period.start.getTime();
    const count = (volume: number) => {
      if (!inPeriod) return;
      period.measured_from ??= new Date(level?.ms ?? r.ms);
      period.volume_m3 = (period.volume_m3 ?? 0) + volume;
    };

    if (level === null) {
      level = r;
      count(0);
      if (inPeriod) period.measured_to = new Date(r.ms);
      continue;
    }
    if (pending !== null) {
      const fromPending = r.value - pending.value;
      if (fromPending >= -limits.resetToleranceM3 && !implausible(Math.max(0, fromPending), pending, r)) {
        // The series carried on from the jump: it was real. Counted where it happened.
        const p = pendingPeriod!;
        p.measured_from ??= new Date(level.ms);
        p.volume_m3 = (p.volume_m3 ?? 0) + (pending.value - level.value);
        p.measured_to = new Date(pending.ms);
        p.spikes_ignored--;
        level = pending;
      }
      pending = null;
    }
    const rise = r.value - level.value;
    if (rise < -limits.resetToleranceM3) {
      // A counter that restarted from zero has counted r.value since.
      const counted: number = r.value >= 0 && !implausible(r.value, level, r) ? r.value : 0;
      count(counted);
      if (inPeriod) period.resets++;
      level = r;
    } else if (rise <= 0) {
      count(0);
      level = { ms: r.ms, value: level.value };
    } else if (implausible(rise, level, r) && inPeriod) {
      period.spikes_ignored++;
      pending = r;
      pendingPeriod = period;
      continue;
    } else {
      count(rise);
      level = r;
    }
    if (inPeriod) period.measured_to = new Date(r.ms);
  }
  for (const p of out) if (p.volume_m3 !== null) p.volume_m3 = round(p.volume_m3, 6);
  return out;
}

/** L/s from m³ over the time between two readings; null when there is no time between them. */
export function averageFlowOver(volumeM3: number | null, from: Date | null, to: Date | null): number | null {
  if (volumeM3 === null || from === null || to === null) return null;
  const seconds = (to.getTime() - from.getTime()) / 1000;
  return seconds > 0 ? (volumeM3 * 1000) / seconds : null;
}
