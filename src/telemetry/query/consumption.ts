import { fromLocal, toLocal } from '../../dga/timezone.js';
import { BACKLOG_GAP_MS, DEFAULT_MAX_M3_PER_HOUR, DEFAULT_RESET_TOLERANCE_M3 } from '../processing/index.js';

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
 *   next reading continues from it, the meter was re-based and the series continues from there without
 *   counting the jump.
 */

export type PeriodKind = 'day' | 'month';

export interface Period {
  label: string;
  start: Date;
  end: Date;
}

export interface CounterReading {
  ts: Date;
  value: number;
}

/** First and last reading of one hourly rollup bucket of the totalizer. */
export interface CounterBucket {
  first_ts: Date;
  first_value: number;
  last_ts: Date;
  last_value: number;
}

export interface CounterLimits {
  maxM3PerHour: number;
  resetToleranceM3: number;
}

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

const HOUR_MS = 3_600_000;

/** Local calendar periods of `tz` covering [from, to): from is moved back and to forward to whole periods. */
export function periodsBetween(from: Date, to: Date, kind: PeriodKind, tz: string): Period[] {
  const pad = (n: number) => String(n).padStart(2, '0');
  const l = toLocal(from, tz);
  let cursor = kind === 'day' ? { year: l.year, month: l.month, day: l.day } : { year: l.year, month: l.month, day: 1 };
  const out: Period[] = [];
  let start = fromLocal({ ...cursor, hour: 0, minute: 0, second: 0 }, tz);
  while (start.getTime() < to.getTime()) {
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

/** Readings in time order from hourly buckets: each bucket's first and (when later) last reading. */
export function readingsOf(buckets: readonly CounterBucket[]): CounterReading[] {
  const out: CounterReading[] = [];
  for (const b of buckets) {
    out.push({ ts: b.first_ts, value: b.first_value });
    if (b.last_ts.getTime() > b.first_ts.getTime()) out.push({ ts: b.last_ts, value: b.last_value });
  }
  return out;
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
  let pi = 0;
  const implausible = (rise: number, from: CounterReading, to: CounterReading) => {
    const dt = to.ts.getTime() - from.ts.getTime();
    if (dt > BACKLOG_GAP_MS) return false;
    return dt <= 0 || rise / (dt / HOUR_MS) > limits.maxM3PerHour;
  };

  for (const r of readings) {
    const t = r.ts.getTime();
    while (pi < out.length && t >= out[pi]!.end.getTime()) pi++;
    if (pi >= out.length) break;
    const period = out[pi]!;
    const inPeriod = t >= period.start.getTime();
    const count = (volume: number) => {
      if (!inPeriod) return;
      period.measured_from ??= level?.ts ?? r.ts;
      period.volume_m3 = (period.volume_m3 ?? 0) + volume;
    };

    if (level === null) {
      level = r;
      count(0);
      if (inPeriod) period.measured_to = r.ts;
      continue;
    }
    if (pending !== null) {
      const fromPending = r.value - pending.value;
      if (fromPending >= -limits.resetToleranceM3 && !implausible(Math.max(0, fromPending), pending, r)) level = pending;
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
      level = { ts: r.ts, value: level.value };
    } else if (implausible(rise, level, r)) {
      if (inPeriod) period.spikes_ignored++;
      pending = r;
      continue;
    } else {
      count(rise);
      level = r;
    }
    if (inPeriod) period.measured_to = r.ts;
  }
  for (const p of out) if (p.volume_m3 !== null) p.volume_m3 = Math.round(p.volume_m3 * 1e6) / 1e6;
  return out;
}

/** L/s from m³ over the time between two readings; null when there is no time between them. */
export function averageFlowOver(volumeM3: number | null, from: Date | null, to: Date | null): number | null {
  if (volumeM3 === null || from === null || to === null) return null;
  const seconds = (to.getTime() - from.getTime()) / 1000;
  return seconds > 0 ? (volumeM3 * 1000) / seconds : null;
}
