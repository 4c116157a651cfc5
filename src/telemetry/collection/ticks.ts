import { MINUTE_MS } from '../../lib/time.js';

/** Collection frequencies in minutes (10 is accepted from legacy data). */
export const FREQUENCIES = [1, 5, 10, 60] as const;

/** Start of the tick of `frequency` minutes that contains `now` (ticks are aligned to the epoch, UTC). */
export function tickAt(now: Date, frequency: number): Date {
  const period = frequency * MINUTE_MS;
  return new Date(Math.floor(now.getTime() / period) * period);
}
