import { normalizeUnit, tidy } from './scaling.js';
import type { QualityFlag, RememberedReset, ResetEvent, ResetMove, TotalizerState, VariableConfig } from './types.js';
import type { CounterLimits } from '../../registry/variables.js';
import { HOUR_MS } from '../../lib/time.js';
import { NOTHING_APPLIED, SharedApplied, type Applied } from './applied.js';
import { NO_FLAGS, UNKNOWN_UNIT } from './quality.js';

/** A reading more than this after the previous one is a backlog after reconnection: no spike check. */
export const BACKLOG_GAP_MS = 2 * HOUR_MS;
/** Resets a totalizer state remembers for late readings (a reset a month is years of history). */
export const MAX_REMEMBERED_RESETS = 50;

const PULSE_UNITS = new Set(['pulses', 'pulse', 'pulsos', 'pulso', 'imp']);
const M3_PER_UNIT: Record<string, number> = { m3: 1, l: 0.001, lt: 0.001, litros: 0.001 };

export function emptyTotalizerState(offset = 0): TotalizerState {
  return { offset, lastRaw: null, lastValue: null, lastTs: null, preSpike: null, resets: [] };
}

export function isPulseChannel(config: Pick<VariableConfig, 'kind' | 'unit'>): boolean {
  if (config.kind === 'pulses') return true;
  const unit = normalizeUnit(config.unit);
  return unit !== undefined && PULSE_UNITS.has(unit);
}

export type CounterVolume =
  | { ok: true; m3: number; flags: readonly QualityFlag[]; applied: Readonly<Record<string, unknown>> }
  | { ok: false; flag: 'missing_pulses_factor' };


/**
 * The counter in m³ from the (scaled) channel value, before the reset offset.
 * Pulses: pulses × pulses_factor (litres per pulse) / 1000. There is no sensible default factor, so a
 * pulse channel without one yields no volume (the reading is kept and flagged, not guessed).
 * Otherwise the channel is m³ (no unit, 'm3') or litres ('L').
 */
export function counterVolume(scaled: number, config: VariableConfig): CounterVolume {
  if (isPulseChannel(config)) {
    const factor = config.processing?.pulses_factor;
    if (factor === undefined || !Number.isFinite(factor) || factor <= 0) return { ok: false, flag: 'missing_pulses_factor' };
    return {
      ok: true,
      m3: tidy((scaled * factor) / 1000),
      flags: [],
      applied: { pulses_factor: factor, conversion: 'pulses×factor/1000→m3' },
    };
  }
  const unit = normalizeUnit(config.unit);
  if (unit === undefined) return { ok: true, m3: scaled, flags: NO_FLAGS, applied: NOTHING_APPLIED };
  const perUnit = M3_PER_UNIT[unit];
  if (perUnit === undefined) return { ok: true, m3: scaled, flags: UNKNOWN_UNIT, applied: NOTHING_APPLIED };
  return {
    ok: true,
    m3: tidy(scaled * perUnit),
    flags: NO_FLAGS,
    applied: perUnit === 1 ? NOTHING_APPLIED : { conversion: `${unit}→m3` },
  };
}

export type TotalizerLimits = CounterLimits;

export interface TotalizerStep {
  /** Continuous totalizer value, m³; null when the reading does not move the totalizer. */
  value: number | null;
  flags: QualityFlag[];
  state: TotalizerState;
  reset?: Omit<ResetEvent, 'variable'>;
  moved?: Omit<ResetMove, 'variable'>;
  /** The held suspect reading turned out to be a counter reset: its stored value and meter reading. */
  confirmed?: { ts: Date; value: number; meter: number };
  /** Shared between steps (see `offsetApplied`): read-only. */
  applied: Readonly<Record<string, unknown>>;
}

/**
 * `{ totalizer_offset, max_m3_per_hour? }`, one frozen object per set of values (see SharedApplied): a counter's
 * offset changes only at a reset, so its readings share one object.
 */
function offsetApplied(offset: number, maxM3PerHour?: number): Applied {
  if (maxM3PerHour === undefined) return offsets.get(offset);
  let withLimit = offsetsWithLimit.get(maxM3PerHour);
  if (!withLimit) {
    if (offsetsWithLimit.size >= 100) offsetsWithLimit.clear();
    offsetsWithLimit.set(maxM3PerHour, (withLimit = new SharedApplied((o: number) => ({ totalizer_offset: o, max_m3_per_hour: maxM3PerHour }))));
  }
  return withLimit.get(offset);
}
const offsets = new SharedApplied((offset: number) => ({ totalizer_offset: offset }));
const offsetsWithLimit = new Map<number, SharedApplied<number>>();

/**
 * One in-order step of a totalizer. `channel` is the value the logger sent (for the zero rule), `m3` the
 * counter in m³ before offset. Never mutates `state`.
 *
 * - A zero right after a positive counter is a logger glitch, not a reset: null value, state unchanged.
 *   The next positive reading below the counter is then the reset (if it really was one).
 * - A drop is a counter reset. The counter restarted from zero and has counted `m3` since, so the series
 *   continues as previous value + m3: offsetAfter = offsetBefore + previousRaw, and the lost volume is
 *   previousRaw, the register content the counter lost. What flowed between the last reading before the
 *   restart and the restart itself is unknowable and counted as nothing.
 * - A drop of at most `resetToleranceM3` is meter jitter or backflow: value kept, flagged, state unchanged
 *   (adding the whole counter to the offset for a 5-litre wobble would be far worse).
 * - A drop that looks like a truncated reading (isSuspectDrop) is held: no value, flag `suspect_drop`, the
 *   state remembers it. If the next reading is back on the previous trajectory it was a glitch; if it
 *   continues from the suspect value, the counter reset at the suspect reading (`confirmed`, `reset`).
 * - A drop back to a level consistent with the reading before a run of spikes reverts the spike instead.
 * - A rise above maxM3PerHour × elapsed hours is a spike: flagged, stored, and the state moves on (flag,
 *   never block). Not checked when more than 2 h passed since the previous reading (backlog).
 * - A reading not after the last one (out of order) gets raw + current offset and `out_of_order`; the state
 *   is unchanged. The same reading delivered twice gets the same value and no flag.
 */
export function advanceTotalizer(
  state: TotalizerState,
  reading: { channel: number; m3: number; ts: Date },
  limits: TotalizerLimits,
): TotalizerStep {
  const { channel, m3, ts } = reading;
  const { offset, lastRaw, lastTs } = state;
  if (channel === 0 && lastRaw !== null && lastRaw > 0) return unchanged(state, null, ['zero_after_positive']);

  const resets = state.resets ?? [];
  if (lastRaw === null || lastTs === null) {
    const value = tidy(m3 + offset);
    return {
      value,
      flags: [],
      state: { offset, lastRaw: m3, lastValue: value, lastTs: ts, preSpike: null, resets },
      applied: offsetApplied(offset),
    };
  }

  if (ts.getTime() <= lastTs.getTime()) {
    if (ts.getTime() === lastTs.getTime() && m3 === lastRaw) return unchanged(state, state.lastValue ?? tidy(m3 + offset), []);
    return lateReading(state, { m3, ts }, limits);
  }

  const suspect = state.suspect ?? null;
  if (suspect && ts.getTime() <= suspect.ts.getTime()) {
    // The held reading delivered again, or one older than it: neither decides anything.
    if (ts.getTime() === suspect.ts.getTime() && m3 === suspect.raw) return unchanged(state, null, ['suspect_drop']);
    return lateReading(state, { m3, ts }, limits);
  }

  const flags: QualityFlag[] = [];
  let offsetAfter = offset;
  let delta = m3 - lastRaw;
  let deltaFrom = lastTs;
  let reverted = false;
  let reset: Omit<ResetEvent, 'variable'> | undefined;
  let confirmed: TotalizerStep['confirmed'];
  let remembered = resets;
  const startEra = (at: Date, newRaw: number) => {
    offsetAfter = tidy(offset + lastRaw);
    reset = { ts: at, previousRaw: lastRaw, newRaw, lostVolume: lastRaw, offsetBefore: offset, offsetAfter };
    remembered = [...resets, { ts: at, previousTs: lastTs, previousRaw: lastRaw, newRaw, offsetBefore: offset, offsetAfter }]
      .slice(-MAX_REMEMBERED_RESETS);
  };

  if (suspect && m3 + limits.resetToleranceM3 < lastRaw && m3 + limits.resetToleranceM3 >= suspect.raw) {
    // The counter continues from the suspect reading: it was a reset, from the suspect reading on.
    startEra(suspect.ts, suspect.raw);
    confirmed = { ts: suspect.ts, value: tidy(suspect.raw + offsetAfter), meter: suspect.raw };
    delta = m3 - suspect.raw;
    deltaFrom = suspect.ts;
  } else if (m3 < lastRaw) {
    const before = state.preSpike;
    if (before && m3 >= before.raw && ratePerHour(m3 - before.raw, before.ts, ts) <= limits.maxM3PerHour) {
      reverted = true;
      flags.push('spike_reverted');
    } else if (lastRaw - m3 <= limits.resetToleranceM3) {
      return unchanged(state, tidy(m3 + offset), ['counter_decrease']);
    } else if (isSuspectDrop(lastRaw, lastTs, m3, ts, limits)) {
      return { value: null, flags: ['suspect_drop'], state: { ...state, suspect: { raw: m3, ts } }, applied: offsetApplied(offset) };
    } else {
      startEra(ts, m3);
      delta = m3;
      flags.push('counter_reset');
    }
  }

  let preSpike: TotalizerState['preSpike'] = null;
  if (ts.getTime() - deltaFrom.getTime() > BACKLOG_GAP_MS) {
    flags.push('after_gap');
  } else if (!reverted && ratePerHour(delta, deltaFrom, ts) > limits.maxM3PerHour) {
    flags.push('spike');
    // After a reset the counter is in a new era: the raw level before the spike means nothing any more.
    preSpike = reset ? null : (state.preSpike ?? { raw: lastRaw, ts: lastTs });
  }

  const value = tidy(m3 + offsetAfter);
  const step: TotalizerStep = {
    value,
    flags,
    state: { offset: offsetAfter, lastRaw: m3, lastValue: value, lastTs: ts, preSpike, resets: remembered, suspect: null },
    applied: reset
      ? { totalizer_offset: offsetAfter, totalizer_offset_before: offset, max_m3_per_hour: limits.maxM3PerHour }
      : offsetApplied(offsetAfter, limits.maxM3PerHour),
  };
  if (reset) step.reset = reset;
  if (confirmed) step.confirmed = confirmed;
  return step;
}

/** A step that leaves the state as it was. */
function unchanged(state: TotalizerState, value: number | null, flags: QualityFlag[]): TotalizerStep {
  return { value, flags, state, applied: offsetApplied(state.offset) };
}

/**
 * A reading older than the last one takes the offset in force at its own time: the offset before the
 * first remembered reset after it (none: the current offset). When it falls between the last reading
 * before that reset and the reset itself, it says what the counter reached before restarting:
 * - above the recorded pre-reset counter: the counter lost more than recorded, so the reset's offset (and
 *   every later one, the current offset and the values stored from the reset on) grow by the difference;
 * - clearly below it (by more than the reset tolerance): the counter had already restarted, the reading
 *   takes the offset after the reset.
 * Never mutates `state`.
 */
export function lateReading(state: TotalizerState, reading: { m3: number; ts: Date }, limits: TotalizerLimits): TotalizerStep {
  const { m3, ts } = reading;
  const resets = state.resets ?? [];
  const i = resets.findIndex((r) => r.ts.getTime() > ts.getTime());
  const flags: QualityFlag[] = ['out_of_order'];
  if (i === -1) return { value: tidy(m3 + state.offset), flags, state, applied: offsetApplied(state.offset) };
  const next = resets[i]!;
  const beforeRestart = ts.getTime() > next.previousTs.getTime();
  if (beforeRestart && m3 > next.previousRaw) {
    const delta = tidy(m3 - next.previousRaw);
    const shifted: RememberedReset[] = resets.map((r, j) =>
      j < i ? r
      : j === i ? { ...r, previousTs: ts, previousRaw: m3, offsetAfter: tidy(r.offsetAfter + delta) }
      : { ...r, offsetBefore: tidy(r.offsetBefore + delta), offsetAfter: tidy(r.offsetAfter + delta) });
    return {
      value: tidy(m3 + next.offsetBefore),
      flags,
      state: {
        ...state,
        offset: tidy(state.offset + delta),
        lastValue: state.lastValue === null ? null : tidy(state.lastValue + delta),
        resets: shifted,
      },
      moved: { resetTs: next.ts, previousRaw: m3, delta },
      applied: offsetApplied(next.offsetBefore),
    };
  }
  const restarted = beforeRestart && m3 + limits.resetToleranceM3 < next.previousRaw;
  const offset = restarted ? next.offsetAfter : next.offsetBefore;
  return { value: tidy(m3 + offset), flags, state, applied: offsetApplied(offset) };
}

/** Share of the counter a drop must lose to be held as a truncated reading rather than taken as a reset. */
export const SUSPECT_DROP_RATIO = 0.9;

/**
 * A poller sometimes returns the counter with a digit missing (917,550 → 91,755). Such a drop loses at
 * least 90 % of the counter without a gap of more than 2 h, and leaves a value the restarted counter could
 * not have counted since the previous reading at the spike limit; a real restart counts from zero.
 */
export function isSuspectDrop(lastRaw: number, lastTs: Date, m3: number, ts: Date, limits: TotalizerLimits): boolean {
  if (ts.getTime() - lastTs.getTime() > BACKLOG_GAP_MS) return false;
  // Dropping the last digit leaves exactly a tenth at most (917,550 → 91,755): "at least 90 %".
  if (m3 > tidy(lastRaw * (1 - SUSPECT_DROP_RATIO))) return false;
  return m3 > limits.maxM3PerHour * ((ts.getTime() - lastTs.getTime()) / HOUR_MS);
}

function ratePerHour(volume: number, from: Date, to: Date): number {
  const hours = (to.getTime() - from.getTime()) / HOUR_MS;
  return hours > 0 ? volume / hours : Number.POSITIVE_INFINITY;
}
