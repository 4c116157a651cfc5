import { round } from '../../lib/round.js';
import type { QualityFlag } from './types.js';

/**
 * The flag lists most readings carry, shared and frozen (a reading's measurement lives until its batch commits: a
 * list per reading is memory the garbage collector copies). Replaced, never changed in place.
 */
export const NO_FLAGS: readonly QualityFlag[] = Object.freeze([]);
export const UNKNOWN_UNIT: readonly QualityFlag[] = Object.freeze(['unknown_unit'] as const);

/**
 * How much each flag costs. The score is the product of (1 − penalty) over the flags, so it stays in
 * 0..1, does not depend on flag order, and two problems cost more than one. A reading stored without a
 * value (status code, zero after positive, missing configuration) scores 0 whatever its flags.
 * Informational flags cost nothing: the value is as good as a clean one.
 */
export const FLAG_PENALTY: Readonly<Record<QualityFlag, number>> = {
  spike: 0.5,
  out_of_range: 0.5,
  unknown_unit: 0.5,
  counter_decrease: 0.3,
  out_of_order: 0.2,
  // The water column is taller than the sensor is deep: the position is wrong or the well is artesian.
  above_sensor: 0.2,
  counter_reset: 0.2,
  after_gap: 0,
  spike_reverted: 0,
  // Those below always come with a null value, hence score 0; the penalty is there for completeness.
  negative_status_code: 1,
  zero_after_positive: 1,
  missing_sensor_position: 1,
  missing_pulses_factor: 1,
  suspect_drop: 1,
};

export function qualityScore(flags: readonly QualityFlag[], hasValue: boolean): number {
  if (!hasValue) return 0;
  if (flags.length === 0) return 1;
  let score = 1;
  for (const flag of flags) score *= 1 - FLAG_PENALTY[flag];
  return round(score, 3);
}
