/** Durations in milliseconds. */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Dates JavaScript writes in the plain `YYYY-MM-DDTHH:mm:ss.sssZ` form (years 1970–9999). */
const PLAIN_ISO_END_MS = Date.UTC(10000, 0, 1);
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `date.toISOString()` for many dates in a row, as the processor writes them (a series is consecutive minutes):
 * the text up to the hour is kept from the previous date of the same hour and only minutes, seconds and
 * milliseconds are written. The same text as toISOString, about five times faster on such runs.
 */
export class IsoTimes {
  private hour = Number.NaN;
  private prefix = '';

  text(date: Date): string {
    const t = date.getTime();
    if (!(t >= 0 && t < PLAIN_ISO_END_MS)) return date.toISOString();
    const inHour = t % HOUR_MS;
    if (t - inHour !== this.hour) {
      this.hour = t - inHour;
      this.prefix = date.toISOString().slice(0, 14); // YYYY-MM-DDTHH:
    }
    const minutes = Math.floor(inHour / MINUTE_MS);
    const inMinute = inHour - minutes * MINUTE_MS;
    const seconds = Math.floor(inMinute / SECOND_MS);
    return this.prefix + TWO_DIGITS[minutes] + ':' + TWO_DIGITS[seconds] + '.' + THREE_DIGITS[inMinute - seconds * SECOND_MS] + 'Z';
  }
}
