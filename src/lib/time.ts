/** Durations in milliseconds. */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * `new Date(text)`, read digit by digit for the form the collector and most senders use (`2026-12-06T04:30:00.000Z`,
 * what `toISOString` gives) instead of through the engine's general date parser: about half its cost, once per
 * reading on the processor's hot path. Any other value or form, or a field out of its range, goes to `new Date`.
 */
export function parseIsoDate(text: unknown): Date {
  if (typeof text !== 'string' || text.length !== 24 || !ISO_UTC_MILLIS.test(text)) return new Date(text as string);
  const n = (i: number) => text.charCodeAt(i) - 48;
  const month = n(5) * 10 + n(6);
  const day = n(8) * 10 + n(9);
  const hour = n(11) * 10 + n(12);
  const minute = n(14) * 10 + n(15);
  const second = n(17) * 10 + n(18);
  const year = n(0) * 1000 + n(1) * 100 + n(2) * 10 + n(3);
  // Date.UTC reads years 0–99 as 1900–1999.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return new Date(text);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, n(20) * 100 + n(21) * 10 + n(22)));
}
const ISO_UTC_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
