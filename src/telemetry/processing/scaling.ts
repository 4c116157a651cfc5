import type { ProcessingSettings } from './types.js';

export interface Scaled {
  value: number;
  scale: number;
  offset: number;
  /** The legacy divisor (`calculate_nivel`): 1 when none. */
  divisor: number;
}

/**
 * channel value × scale ÷ divisor + offset (defaults 1, 1 and 0), the first step for every numeric
 * variable. The divisor is the legacy integer `calculate_nivel` (a scale of 1/n); dividing by it rather than
 * multiplying by 1/n keeps 2015 ÷ 100 exactly 20.15.
 */
export function applyScaling(channelValue: number, processing: ProcessingSettings | undefined): Scaled {
  const scale = processing?.scale ?? 1;
  const offset = processing?.offset ?? 0;
  const divisor = processing?.divisor ?? 1;
  // Identity scaling cannot add floating-point noise: skip the rounding (the processor's hot path).
  const value = scale === 1 && offset === 0 && divisor === 1 ? channelValue : tidy((channelValue * scale) / divisor + offset);
  return { value, scale, offset, divisor };
}

/**
 * Drops binary floating-point noise (0.1 + 0.2 → 0.3) so stored values and offsets stay readable and
 * comparable. 12 significant digits keep a totalizer of 10⁹ m³ to the millilitre.
 */
export function tidy(value: number): number {
  if (!Number.isFinite(value)) return value;
  // Most values are already the double nearest a short decimal (12.3, 25.2): then they are their own 12-digit
  // form. Below 10⁶ with at most 6 decimals that is exactly when rounding to 6 decimals gives the value back
  // (n / 10⁶ is correctly rounded), and it costs far less than toPrecision on the processor's hot path.
  if (value < 1e6 && value > -1e6 && Math.round(value * 1e6) / 1e6 === value) return value;
  return Number(value.toPrecision(12));
}

/** Lower-case, no spaces, '³' → '3', so 'm³/h', 'M3/H' and 'm3 / h' compare equal. */
export function normalizeUnit(unit: string | undefined): string | undefined {
  if (unit === undefined) return undefined;
  // Called for every reading with one of a handful of unit texts: remembered rather than recomputed.
  const known = normalizedUnits.get(unit);
  if (known !== undefined || normalizedUnits.has(unit)) return known;
  const u = unit.trim().toLowerCase().replace(/\s+/g, '').replace(/³/g, '3');
  const normalized = u === '' ? undefined : u;
  if (normalizedUnits.size >= MAX_REMEMBERED_UNITS) normalizedUnits.clear();
  normalizedUnits.set(unit, normalized);
  return normalized;
}
const normalizedUnits = new Map<string, string | undefined>();
const MAX_REMEMBERED_UNITS = 1000;
