import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../lib/time.js';
/**
 * Time buckets of the series API. Buckets are UTC, aligned on a grid that starts on Monday
 * 1970-01-05 00:00Z (every width divides a week, so hours and days fall on whole UTC hours and days
 * and weeks start on Mondays). A bucket is returned when it overlaps [from, to): the first and the
 * last bucket are whole, so they may hold readings a little outside the requested range.
 */

export type BucketName = '1m' | '5m' | '15m' | '1h' | '2h' | '3h' | '6h' | '12h' | '1d' | '7d';

/** Where a bucket is computed from: raw rows (short widths) or the hourly/daily rollups (long ranges). */
export type BucketSource = 'measurements' | '1h' | '1d';


export const BUCKETS: Record<BucketName, { ms: number; source: BucketSource }> = {
  '1m': { ms: MINUTE_MS, source: 'measurements' },
  '5m': { ms: 5 * MINUTE_MS, source: 'measurements' },
  '15m': { ms: 15 * MINUTE_MS, source: 'measurements' },
  '1h': { ms: HOUR_MS, source: '1h' },
  '2h': { ms: 2 * HOUR_MS, source: '1h' },
  '3h': { ms: 3 * HOUR_MS, source: '1h' },
  '6h': { ms: 6 * HOUR_MS, source: '1h' },
  '12h': { ms: 12 * HOUR_MS, source: '1h' },
  '1d': { ms: DAY_MS, source: '1d' },
  '7d': { ms: 7 * DAY_MS, source: '1d' },
};

export const BUCKET_NAMES = Object.keys(BUCKETS) as BucketName[];

/** Grid origin: Monday 1970-01-05T00:00:00Z. */
export const BUCKET_ORIGIN = new Date(Date.UTC(1970, 0, 5));

/** What `auto` may choose, finest first. 15m is left out so auto never aggregates more than ~10,000 raw rows. */
export const AUTO_LADDER: readonly BucketName[] = ['1m', '5m', '1h', '2h', '3h', '6h', '12h', '1d', '7d'];

export const AUTO_MAX_POINTS = 2000;

export function alignDown(t: number, width: number): number {
  const o = BUCKET_ORIGIN.getTime();
  return o + Math.floor((t - o) / width) * width;
}

export function alignUp(t: number, width: number): number {
  const o = BUCKET_ORIGIN.getTime();
  return o + Math.ceil((t - o) / width) * width;
}

/** The whole buckets overlapping [from, to). */
export function alignRange(from: Date, to: Date, bucket: BucketName): { start: Date; end: Date } {
  const w = BUCKETS[bucket].ms;
  return { start: new Date(alignDown(from.getTime(), w)), end: new Date(alignUp(to.getTime(), w)) };
}

/** How many buckets of this width overlap [from, to). */
export function bucketCount(from: Date, to: Date, bucket: BucketName): number {
  if (to.getTime() <= from.getTime()) return 0;
  const { start, end } = alignRange(from, to, bucket);
  return Math.round((end.getTime() - start.getTime()) / BUCKETS[bucket].ms);
}

/** The finest bucket of the auto ladder giving at most `maxPoints` buckets over [from, to). */
export function chooseBucket(from: Date, to: Date, maxPoints = AUTO_MAX_POINTS): BucketName {
  for (const b of AUTO_LADDER) if (bucketCount(from, to, b) <= maxPoints) return b;
  return AUTO_LADDER[AUTO_LADDER.length - 1]!;
}

/** PostgreSQL interval text of a bucket width. */
export function bucketInterval(bucket: BucketName): string {
  return `${BUCKETS[bucket].ms / 1000} seconds`;
}
