import { normalizeUnit, tidy } from './scaling.js';

/** Flow is stored in L/s. Channel units it can be converted from, as divisors. */
const LITRES_PER_SECOND_DIVISOR: Record<string, { divisor: number; conversion: string | null }> = {
  'l/s': { divisor: 1, conversion: null },
  lps: { divisor: 1, conversion: null },
  'lt/s': { divisor: 1, conversion: null },
  'm3/h': { divisor: 3.6, conversion: 'm3/h→L/s' },
  'l/min': { divisor: 60, conversion: 'L/min→L/s' },
  'm3/s': { divisor: 0.001, conversion: 'm3/s→L/s' },
};

export interface FlowConversion {
  /** L/s, or the value unchanged when the unit is unknown. */
  value: number;
  conversion: string | null;
  unitKnown: boolean;
}

/**
 * A flow value in L/s. No unit means L/s. `m3hToLs` forces ÷ 3.6 whatever the unit says (the legacy
 * `convert_to_lt` flag was set on variables whose unit was never filled in). An unknown unit leaves the
 * value as it is and says so, to be flagged rather than silently mis-scaled.
 */
export function toLitresPerSecond(value: number, unit: string | undefined, m3hToLs = false): FlowConversion {
  const key = normalizeUnit(unit);
  if (m3hToLs || key === 'm3/h') return { value: tidy(value / 3.6), conversion: 'm3/h→L/s', unitKnown: true };
  if (key === undefined) return { value, conversion: null, unitKnown: true };
  const known = LITRES_PER_SECOND_DIVISOR[key];
  if (!known) return { value, conversion: null, unitKnown: false };
  return { value: tidy(value / known.divisor), conversion: known.conversion, unitKnown: true };
}

export interface TotalizerPoint {
  ts: Date;
  /** Continuous totalizer value in m³ (reset offsets already applied). */
  value: number;
}

/**
 * Average flow in L/s between two totalizer readings: Δm³ × 1000 / Δs. Reset-aware because the stored
 * totalizer series is continuous (resets are absorbed in the offset). Null when the interval is empty or
 * the totalizer went backwards (backflow or a bad reading: there is no honest average to give).
 */
export function averageFlowLs(from: TotalizerPoint, to: TotalizerPoint): number | null {
  const seconds = (to.ts.getTime() - from.ts.getTime()) / 1000;
  const volume = to.value - from.value;
  if (seconds <= 0 || volume < 0) return null;
  return tidy((volume * 1000) / seconds);
}
