/** Types of the processing rules. Pure data: no I/O anywhere in this folder. */

// A variable's configuration is read once, in the registry; the rules here take it already typed.
import type { CounterLimits } from '../../registry/variables.js';

export type {
  CounterLimits, ProcessingSettings, ValidRange, ValueType, VariableConfig, VariableKind,
} from '../../registry/variables.js';

export interface PointContext {
  /** The point the readings belong to; given, it is stored with each measurement (`point_id`). */
  pointId?: number;
  /** Depth of the level sensor below the surface, m. */
  levelSensorPosition?: number | null;
  /** Spike limit and reset tolerance of totalizers (registry counterLimitsOf). */
  counterLimits: CounterLimits;
  retentionDays: number;
}

/**
 * What a totalizer carries from one reading to the next. `lastRaw` is the counter in m³ (after scale and
 * pulse conversion, before the reset offset); `lastValue = lastRaw + offset` at that reading.
 */
export interface TotalizerState {
  offset: number;
  lastRaw: number | null;
  lastValue: number | null;
  lastTs: Date | null;
  /**
   * The last reading before a run of spikes. When the counter then drops back to a level consistent with
   * it, the spike was a glitch (e.g. a 0xFFFFFFFF register) and the drop is not a reset.
   * Optional: a state persisted without it only loses that recovery.
   */
  preSpike?: { raw: number; ts: Date } | null;
  /**
   * The latest counter resets (oldest first, at most MAX_REMEMBERED_RESETS): a late reading takes the
   * offset in force at its own time from them. Optional: a state persisted without it treats every late
   * reading as one of the current era, as before.
   */
  resets?: RememberedReset[];
  /** A reading held as a suspect drop (isSuspectDrop) until the next reading decides. */
  suspect?: { raw: number; ts: Date } | null;
}

/** A counter reset as the totalizer state remembers it. */
export interface RememberedReset {
  /** The first reading after the restart. */
  ts: Date;
  /** The last reading before the restart, and its counter in m³. */
  previousTs: Date;
  previousRaw: number;
  newRaw: number;
  offsetBefore: number;
  offsetAfter: number;
}

/**
 * A late reading showed the counter reached more before a reset than the reset recorded: the reset's
 * offset, the offsets of later resets and every stored value from `resetTs` on grow by `delta`.
 */
export interface ResetMove {
  variable: string;
  resetTs: Date;
  previousRaw: number;
  delta: number;
}

export interface RawReading {
  variable: string;
  ts: Date;
  raw: unknown;
  /** Who sent it (a provider, push, an import); given, it is stored with its measurement (`provider`). */
  provider?: string;
}

export type QualityFlag =
  | 'counter_reset'
  | 'counter_decrease'
  | 'zero_after_positive'
  | 'negative_status_code'
  | 'spike'
  | 'spike_reverted'
  | 'after_gap'
  | 'out_of_order'
  | 'out_of_range'
  | 'missing_sensor_position'
  | 'above_sensor'
  | 'suspect_drop'
  | 'missing_pulses_factor'
  | 'unknown_unit';

export interface Measurement {
  /**
   * The point and the sender (PointContext.pointId, RawReading.provider), when they were given: the measurement is
   * then the very row the processor stores (no copy of it per reading).
   */
  point_id?: number;
  provider?: string;
  variable: string;
  ts: Date;
  value_numeric: number | null;
  /**
   * Totalizers: the meter's own reading, the counter as the device counts it scaled to m³, without the
   * initial meter reading or reset offsets (value_numeric is the continuous total). Null otherwise.
   */
  meter_value: number | null;
  value_text: string | null;
  value_boolean: boolean | null;
  /** The provider's original value, untouched. */
  raw_value: unknown;
  quality_score: number;
  /** Shared and frozen when empty: replaced, never changed in place. */
  quality_flags: readonly QualityFlag[];
  /** What was applied: scale, offset, factor, conversion, reset offset used… (shared between measurements: read-only) */
  processing_config: Readonly<Record<string, unknown>>;
}

export interface ConfirmedReset {
  variable: string;
  ts: Date;
  value: number;
  meter: number;
}

export interface ResetEvent {
  variable: string;
  ts: Date;
  /** Counter before the restart, m³ (before offset). */
  previousRaw: number;
  /** Counter at the first reading after the restart, m³ (before offset). */
  newRaw: number;
  /** Volume the counter dropped from its register and the offset now carries (= previousRaw). */
  lostVolume: number;
  offsetBefore: number;
  offsetAfter: number;
}

export type DeadLetterCode = 'invalid_timestamp' | 'future_timestamp' | 'expired_timestamp' | 'unparseable_value';

export type Outcome =
  | {
      ok: true; measurement: Measurement; state?: TotalizerState; reset?: ResetEvent; moved?: ResetMove;
      /** An earlier reading held as suspect was a reset: its value and meter reading to store. */
      confirmed?: ConfirmedReset;
    }
  | { ok: false; code: DeadLetterCode; reason: string };
