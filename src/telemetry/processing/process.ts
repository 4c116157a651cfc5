import { toLitresPerSecond } from './flow.js';
import { processLevel } from './level.js';
import { describeRaw, parseBoolean, parseNumber, parseText } from './parse.js';
import { NO_FLAGS, UNKNOWN_UNIT, qualityScore } from './quality.js';
import { applyScaling, type Scaled } from './scaling.js';
import {
  advanceTotalizer,
  counterVolume,
  emptyTotalizerState,
} from './totalizer.js';
import type {
  DeadLetterCode,
  Measurement,
  Outcome,
  PointContext,
  QualityFlag,
  RawReading,
  ResetEvent,
  ResetMove,
  ConfirmedReset,
  TotalizerState,
  ValidRange,
  VariableConfig,
  VariableKind,
} from './types.js';
import { DAY_MS, MINUTE_MS } from '../../lib/time.js';
import { NOTHING_APPLIED, SharedApplied, mergeApplied, withReadingValue } from './applied.js';

export const FUTURE_TOLERANCE_MS = 5 * MINUTE_MS;

type DeadLetter = Extract<Outcome, { ok: false }>;

function deadLetter(code: DeadLetterCode, reason: string): DeadLetter {
  return { ok: false, code, reason };
}

export function isTotalizer(kind: VariableKind): boolean {
  return kind === 'totalizer' || kind === 'pulses';
}

/** Dead letter for a timestamp the processor must not store: invalid, > 5 min ahead, or past retention. */
export function checkTimestamp(
  reading: Pick<RawReading, 'variable' | 'ts'>,
  now: Date,
  retentionDays: number,
): DeadLetter | null {
  const t = reading.ts instanceof Date ? reading.ts.getTime() : Number.NaN;
  if (Number.isNaN(t)) return deadLetter('invalid_timestamp', `invalid timestamp for variable ${reading.variable}`);
  if (t > now.getTime() + FUTURE_TOLERANCE_MS) {
    return deadLetter(
      'future_timestamp',
      `timestamp ${reading.ts.toISOString()} of variable ${reading.variable} is more than 5 min in the future (now ${now.toISOString()})`,
    );
  }
  if (t < now.getTime() - retentionDays * DAY_MS) {
    return deadLetter(
      'expired_timestamp',
      `timestamp ${reading.ts.toISOString()} of variable ${reading.variable} is older than the retention (${retentionDays} days)`,
    );
  }
  return null;
}

interface Processed {
  value: number | null;
  /** Totalizers: the counter in m³ before any offset, when the reading moves the totalizer. */
  meter?: number | null;
  flags: readonly QualityFlag[];
  applied: Readonly<Record<string, unknown>>;
  /** Levels: the reading's own water column, applied on top of `applied` (shared). */
  waterColumn?: number;
}


/**
 * The whole pipeline for one reading of one point variable: timestamp and value checks (dead letter),
 * parsing, scale/offset, the rule of the variable's kind, valid range, quality.
 *
 * Readings of one variable must be fed in timestamp order, passing the `state` returned by the previous
 * call (totalizers only; it is returned on every accepted totalizer reading, changed or not). A dead
 * letter leaves the state as it was.
 */
export function processReading(
  reading: RawReading,
  config: VariableConfig,
  point: PointContext,
  state: TotalizerState | undefined,
  now: Date,
): Outcome {
  const badTs = checkTimestamp(reading, now, point.retentionDays);
  if (badTs) return badTs;

  const { variable, raw } = reading;
  const valueType = config.value_type ?? 'numeric';

  if (valueType === 'text') {
    const text = parseText(raw);
    if (text === null) return deadLetter('unparseable_value', `missing value for text variable ${variable}`);
    return { ok: true, measurement: measurementOf(reading, point, null, null, text, null, 1, NO_FLAGS, NOTHING_APPLIED) };
  }
  if (valueType === 'boolean') {
    const flag = parseBoolean(raw);
    if (flag === null) {
      return deadLetter('unparseable_value', `unparseable value ${describeRaw(raw)} for boolean variable ${variable}`);
    }
    return { ok: true, measurement: measurementOf(reading, point, null, null, null, flag, 1, NO_FLAGS, NOTHING_APPLIED) };
  }

  const channel = parseNumber(raw);
  if (channel === null) {
    return deadLetter('unparseable_value', `unparseable value ${describeRaw(raw)} for numeric variable ${variable}`);
  }

  const scaled = applyScaling(channel, config.processing);
  const applied = appliedByConfig(config, scaled);

  const totalizer = isTotalizer(config.kind);
  const current = totalizer ? (state ?? emptyTotalizerState()) : undefined;
  let step: Processed;
  let nextState = current;
  let reset: ResetEvent | undefined;
  let moved: ResetMove | undefined;
  let confirmed: ConfirmedReset | undefined;

  if (channel < 0 && config.kind !== 'other') {
    // Loggers report their status (-1, -3, …) in the value itself; it is not a measurement.
    step = { value: null, flags: ['negative_status_code'], applied: NOTHING_APPLIED };
  } else if (config.kind === 'flow') {
    const flow = toLitresPerSecond(scaled.value, config.unit, config.processing?.m3h_to_ls);
    step = {
      value: flow.value,
      flags: flow.unitKnown ? NO_FLAGS : UNKNOWN_UNIT,
      applied: flow.conversion ? conversions.get(flow.conversion) : NOTHING_APPLIED,
    };
  } else if (config.kind === 'level') {
    step = processLevel(scaled.value, config, point);
  } else if (current) {
    const volume = counterVolume(scaled.value, config);
    if (!volume.ok) {
      step = { value: null, flags: [volume.flag], applied: NOTHING_APPLIED };
    } else {
      const advanced = advanceTotalizer(
        current,
        { channel, m3: volume.m3, ts: reading.ts },
        point.counterLimits,
      );
      step = {
        value: advanced.value,
        meter: advanced.value === null ? null : volume.m3,
        flags: volume.flags.length === 0 ? advanced.flags : [...volume.flags, ...advanced.flags],
        applied: mergeApplied(volume.applied, advanced.applied),
      };
      nextState = advanced.state;
      if (advanced.reset) reset = { variable, ...advanced.reset };
      if (advanced.moved) moved = { variable, ...advanced.moved };
      if (advanced.confirmed) confirmed = { variable, ...advanced.confirmed };
    }
  } else {
    step = { value: scaled.value, flags: NO_FLAGS, applied: NOTHING_APPLIED };
  }

  const range = config.processing?.valid_range;
  const checked = step.value !== null && range && outside(step.value, range) ? [...step.flags, 'out_of_range' as const] : step.flags;
  const flags = checked.length < 2 ? checked : [...new Set(checked)];
  const measurement = measurementOf(
    reading,
    point,
    step.value,
    step.meter ?? null,
    null,
    null,
    qualityScore(flags, step.value !== null),
    flags,
    step.waterColumn === undefined
      ? mergeApplied(applied, step.applied)
      : withReadingValue(mergeApplied(applied, step.applied), 'water_column_m', step.waterColumn),
  );
  // Built field by field: four conditional spreads cost four throw-away objects per reading on the hot path.
  const outcome: Extract<Outcome, { ok: true }> = { ok: true, measurement };
  if (nextState) outcome.state = nextState;
  if (reset) outcome.reset = reset;
  if (moved) outcome.moved = moved;
  if (confirmed) outcome.confirmed = confirmed;
  return outcome;
}

/** Every measurement is built here, always with the same fields in the same order (one object shape). */
function measurementOf(
  reading: RawReading,
  point: PointContext,
  valueNumeric: number | null,
  meterValue: number | null,
  valueText: string | null,
  valueBoolean: boolean | null,
  qualityScore: number,
  flags: readonly QualityFlag[],
  processingConfig: Readonly<Record<string, unknown>>,
): Measurement {
  return {
    point_id: point.pointId,
    provider: reading.provider,
    variable: reading.variable,
    ts: reading.ts,
    value_numeric: valueNumeric,
    meter_value: meterValue,
    value_text: valueText,
    value_boolean: valueBoolean,
    raw_value: reading.raw,
    quality_score: qualityScore,
    quality_flags: flags,
    processing_config: processingConfig,
  };
}

/**
 * The part of processing_config that depends only on the variable's configuration (kind, scale, offset,
 * unit, valid range): built once per configuration object and shared, read-only, by its measurements.
 */
const appliedCache = new WeakMap<VariableConfig, Readonly<Record<string, unknown>>>();

function appliedByConfig(config: VariableConfig, scaled: Scaled): Readonly<Record<string, unknown>> {
  const cached = appliedCache.get(config);
  if (cached && cached.scale === scaled.scale && cached.offset === scaled.offset && (cached.divisor ?? 1) === scaled.divisor) return cached;
  const applied: Record<string, unknown> = { kind: config.kind, scale: scaled.scale, offset: scaled.offset };
  if (scaled.divisor !== 1) applied.divisor = scaled.divisor;
  if (config.unit !== undefined) applied.unit = config.unit;
  const range = config.processing?.valid_range;
  if (range) applied.valid_range = range;
  Object.freeze(applied);
  appliedCache.set(config, applied);
  return applied;
}

/** `{ conversion }`, shared per conversion text (a handful: one per unit a flow meter reports in). */
const conversions = new SharedApplied((conversion: string) => ({ conversion }));

function outside(value: number, range: ValidRange): boolean {
  return (range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max);
}

export interface SeriesResult<R extends RawReading = RawReading> {
  /** The readings in timestamp order, and the outcome of each at the same index (dead letters need the reading). */
  readings: readonly R[];
  outcomes: Outcome[];
  /** The state after the last reading: the input state for the next batch. */
  state: TotalizerState | undefined;
  resets: ResetEvent[];
  /** Resets a late reading moved (in order): stored values from each `resetTs` on grow by `delta`. */
  moves: ResetMove[];
  /** Readings held as suspect that the series later showed to be resets. */
  confirmed: ConfirmedReset[];
}

/** A batch of one variable: sorted by timestamp (stable), state threaded through processReading. */
export function processSeries<R extends RawReading>(
  readings: readonly R[],
  config: VariableConfig,
  point: PointContext,
  state: TotalizerState | undefined,
  now: Date,
): SeriesResult<R> {
  const time = (r: RawReading) => {
    const t = r.ts instanceof Date ? r.ts.getTime() : Number.NaN;
    return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
  };
  // Readings mostly come in order: then they are taken as they are (no copy to sort).
  let inOrder = true;
  for (let i = 1; i < readings.length && inOrder; i++) inOrder = time(readings[i - 1]!) <= time(readings[i]!);
  const sorted = inOrder
    ? readings
    : [...readings].sort((a, b) => {
        const x = time(a);
        const y = time(b);
        return x === y ? 0 : x < y ? -1 : 1;
      });
  const outcomes: Outcome[] = [];
  const resets: ResetEvent[] = [];
  const moves: ResetMove[] = [];
  const confirmed: ConfirmedReset[] = [];
  let current = state;
  for (const reading of sorted) {
    const outcome = processReading(reading, config, point, current, now);
    if (outcome.ok) {
      if (outcome.state) current = outcome.state;
      if (outcome.reset) resets.push(outcome.reset);
      if (outcome.moved) moves.push(outcome.moved);
      if (outcome.confirmed) confirmed.push(outcome.confirmed);
    }
    outcomes.push(outcome);
  }
  return { readings: sorted, outcomes, state: current, resets, moves, confirmed };
}
