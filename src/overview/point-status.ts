/**
 * What a point's telemetry looks like right now, from its newest stored reading. Pure: the map's
 * marker colours and the dashboard's counts are both this one rule.
 */
import { HOUR_MS, MINUTE_MS } from '../lib/time.js';

export type PointStatus = 'reporting' | 'late' | 'disconnected' | 'no_data' | 'inactive';
export const POINT_STATUSES: readonly PointStatus[] = ['reporting', 'late', 'disconnected', 'no_data', 'inactive'];

/** Older than this, a point is disconnected whatever its frequency. */
export const DISCONNECTED_AFTER_MS = 24 * HOUR_MS;
/** Missing this many of its periods in a row, a point is late. */
export const LATE_AFTER_PERIODS = 2;

export interface PointStatusInput {
  isTelemetryActive: boolean;
  /** Minutes between readings. */
  frequency: number;
  /** The newest reading of any of its variables; null when it never had one. */
  lastReadingAt: Date | null;
  now: Date;
}

/**
 * inactive: telemetry switched off (whatever was stored before); no_data: never a reading;
 * disconnected: the newest is more than 24 h old; late: more than 2 periods old; reporting otherwise.
 * A reading stamped in the future (a device clock ahead) counts as fresh.
 */
export function pointStatus(p: PointStatusInput): PointStatus {
  if (!p.isTelemetryActive) return 'inactive';
  if (p.lastReadingAt === null) return 'no_data';
  const age = p.now.getTime() - p.lastReadingAt.getTime();
  if (age > DISCONNECTED_AFTER_MS) return 'disconnected';
  if (age > LATE_AFTER_PERIODS * p.frequency * MINUTE_MS) return 'late';
  return 'reporting';
}
