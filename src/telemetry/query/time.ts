import { ValidationError } from '../../errors.js';
import { fromLocal } from '../../lib/timezone.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lib/time.js';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An instant from a query parameter. With an offset (`Z`, `-04:00`) it is that instant; without one
 * (`2025-03-01`, `2025-03-01T08:00`) it is a wall-clock time in `tz`, the DGA time zone, because that is
 * the calendar the users of the API live in.
 */
export function parseInstant(text: string, field: string, tz: string): Date {
  const m = DATE_TIME.exec(text.trim());
  if (!m) throw new ValidationError(`${field} must be an ISO 8601 date or date-time, e.g. 2025-03-01 or 2025-03-01T00:00:00Z (got "${text}")`, field);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fields = {
    year: Number(y), month: Number(mo), day: Number(d),
    hour: Number(h ?? 0), minute: Number(mi ?? 0), second: Number(s ?? 0),
  };
  const ms = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const probe = new Date(Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second));
  if (
    probe.getUTCFullYear() !== fields.year || probe.getUTCMonth() !== fields.month - 1 || probe.getUTCDate() !== fields.day ||
    fields.hour > 23 || fields.minute > 59 || fields.second > 59
  ) {
    throw new ValidationError(`${field} is not a valid calendar date-time (got "${text}")`, field);
  }
  if (zone) {
    const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
    return new Date(probe.getTime() + ms - offsetMin * MINUTE_MS);
  }
  return new Date(fromLocal(fields, tz).getTime() + ms);
}

/** The span a query may cover: from the oldest data kept to just after now. */
export interface RangeBounds {
  earliest: Date;
  latest: Date;
}

/**
 * Stored readings are at most `retentionDays` old (plus the partial month a partition keeps) and at most
 * a few minutes ahead of now (the processor refuses more): nothing outside can be found, so no query looks there.
 */
export function queryBounds(now: Date, retentionDays: number): RangeBounds {
  return { earliest: new Date(now.getTime() - (retentionDays + 31) * DAY_MS), latest: new Date(now.getTime() + HOUR_MS) };
}

/**
 * from/to of a query with defaults: `to` now, `from` `defaultSpanMs` before `to`; `from` must be before `to`.
 * With `bounds`, the range is clamped to them before any work (`from=0100-01-01&to=9999-12-31` becomes the
 * retention period), and a range wholly outside them is refused.
 */
export function parseRange(
  q: { from?: string; to?: string },
  tz: string,
  defaultSpanMs: number,
  now: Date,
  bounds?: RangeBounds,
): { from: Date; to: Date } {
  const requestedTo = q.to ? parseInstant(q.to, 'to', tz) : now;
  // A far-future `to` is clamped first, so that the default `from` counts back from what can exist.
  const to = bounds && requestedTo.getTime() > bounds.latest.getTime() ? bounds.latest : requestedTo;
  const from = q.from ? parseInstant(q.from, 'from', tz) : new Date(to.getTime() - defaultSpanMs);
  if (from.getTime() >= requestedTo.getTime()) throw new ValidationError('from must be before to', 'from');
  if (!bounds) return { from, to };
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError(`from ${from.toISOString()} is in the future; there is no data after ${bounds.latest.toISOString()}`, 'from');
  }
  if (to.getTime() <= bounds.earliest.getTime()) {
    throw new ValidationError(`to ${to.toISOString()} is before the oldest data kept (${bounds.earliest.toISOString()}, see RETENTION_DAYS)`, 'to');
  }
  return { from: from.getTime() < bounds.earliest.getTime() ? bounds.earliest : from, to };
}
