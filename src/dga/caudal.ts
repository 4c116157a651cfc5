/**
 * The numbers a slot reports, from stored series: average caudal over the slot window and the
 * totalizer / water table at the slot time (window semantics in slots.ts).
 */
import { DEFAULT_RESET_TOLERANCE_M3 } from '../registry/variables.js';

export interface TotalizerSample {
  ts: Date;
  /** The continuous total, m³. */
  m3: number;
}

export interface FlowSample {
  ts: Date;
  lps: number;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

const byTime = <T extends { ts: Date }>(a: T, b: T): number => a.ts.getTime() - b.ts.getTime();

/**
 * Volume in m³ through consecutive totalizer samples (sorted by time). The stored series is already
 * continuous after the processor's reset offset. A drop of at most `resetToleranceM3` is meter jitter
 * (the processor stores it flagged `counter_decrease`, without moving the totalizer): nothing is counted
 * and the level stays, so the next rise is measured from it. A larger drop that slips through is taken
 * as a counter reset: the counter restarted from zero, so the new value is the volume since the reset.
 */
export function volumeBetween(samples: readonly TotalizerSample[], resetToleranceM3 = DEFAULT_RESET_TOLERANCE_M3): number {
  if (samples.length === 0) return 0;
  let volume = 0;
  let level = samples[0]!.m3;
  for (let i = 1; i < samples.length; i++) {
    const m3 = samples[i]!.m3;
    const delta = m3 - level;
    if (delta >= 0) volume += delta;
    else if (-delta <= resetToleranceM3) continue;
    else volume += m3;
    level = m3;
  }
  return volume;
}

/**
 * Average flow in L/s over the window from the totalizer: volume between the last sample at or
 * before `from` (or the first one inside the window) and the last sample at or before `to`,
 * divided by the time between those two samples. Null with fewer than two usable samples.
 */
export function caudalFromTotalizer(
  samples: readonly TotalizerSample[],
  window: TimeWindow,
  resetToleranceM3 = DEFAULT_RESET_TOLERANCE_M3,
): number | null {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const sorted = samples.filter((s) => Number.isFinite(s.m3) && s.ts.getTime() <= to).sort(byTime);
  let start = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.ts.getTime() <= from) start = i;
  }
  if (start === -1) start = sorted.findIndex((s) => s.ts.getTime() > from);
  const end = sorted.length - 1;
  if (start === -1 || end <= start) return null;
  const used = sorted.slice(start, end + 1);
  const seconds = (used[used.length - 1]!.ts.getTime() - used[0]!.ts.getTime()) / 1000;
  if (seconds <= 0) return null;
  return (volumeBetween(used, resetToleranceM3) * 1000) / seconds;
}

/** Mean of the instantaneous flow samples inside (from, to]; for points without a totalizer. */
export function caudalFromFlow(samples: readonly FlowSample[], window: TimeWindow): number | null {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const inside = samples.filter((s) => Number.isFinite(s.lps) && s.ts.getTime() > from && s.ts.getTime() <= to);
  if (inside.length === 0) return null;
  return inside.reduce((sum, s) => sum + s.lps, 0) / inside.length;
}

/** Slot caudal: from the totalizer when it allows, otherwise from instantaneous flow. */
export function slotCaudal(input: {
  totalizer?: readonly TotalizerSample[];
  flow?: readonly FlowSample[];
  window: TimeWindow;
  /** The totalizer's reset tolerance (registry counterLimitsOf); default 0.01 m³. */
  resetToleranceM3?: number;
}): { lps: number; source: 'totalizer' | 'flow' } | null {
  const fromTotalizer = input.totalizer ? caudalFromTotalizer(input.totalizer, input.window, input.resetToleranceM3) : null;
  if (fromTotalizer !== null) return { lps: fromTotalizer, source: 'totalizer' };
  const fromFlow = input.flow ? caudalFromFlow(input.flow, input.window) : null;
  return fromFlow !== null ? { lps: fromFlow, source: 'flow' } : null;
}

/**
 * The value in force at `t`: the latest sample at or before it, if not older than `maxAgeMs`.
 * Used for the totalizer and water table at a slot time (a later sample would report the future).
 */
export function sampleAt<T extends { ts: Date }>(samples: readonly T[], t: Date, maxAgeMs = Infinity): T | null {
  let best: T | null = null;
  for (const s of samples) {
    const ts = s.ts.getTime();
    if (ts <= t.getTime() && (best === null || ts > best.ts.getTime())) best = s;
  }
  return best !== null && t.getTime() - best.ts.getTime() <= maxAgeMs ? best : null;
}
