import type { Db, Queryable } from '../../infra/db/index.js';
import { DAY_MS } from '../../lib/time.js';
import { rollupDeltas, type InsertedMeasurement } from './rollups.js';
import { EFFECTIVE_VALUE } from '../corrections/correction.repository.js';

/**
 * SQL of the rollups (`measurement_rollups`). Two ways to maintain them, which give the same table:
 * - `upsertRollups(tx, inserted)`: incremental, called by the processor inside its transaction with
 *   exactly the rows `INSERT … ON CONFLICT DO NOTHING RETURNING` inserted. A late reading lands in its
 *   own (old) bucket and widens first/last only when it is earlier/later than what the bucket holds; a
 *   re-delivered reading is not returned by the insert, so it is never counted twice.
 * - `rebuildRollups(db, range)`: recomputes buckets from `measurements` (bulk loads, repairs, corrections),
 *   with each reading's effective value (corrected, or left out when invalid).
 */

/**
 * Adds freshly inserted measurements to the hourly and daily rollups. Call it in the transaction that
 * inserted them, with only the rows the insert returned: the arithmetic is additive (n, sum), so a row
 * passed twice across calls would be counted twice. Safe under concurrent processors (row locks of
 * ON CONFLICT, keys in a fixed order).
 */
export async function upsertRollups(tx: Queryable, rows: readonly InsertedMeasurement[]): Promise<void> {
  const deltas = rollupDeltas(rows);
  if (deltas.length === 0) return;
  const payload = JSON.stringify(
    deltas.map((d) => ({
      r: d.resolution, p: d.point_id, v: d.variable, b: d.bucket.toISOString(), n: d.n, s: d.sum, mn: d.min, mx: d.max,
      ft: d.first_ts.toISOString(), fv: d.first_value, lt: d.last_ts.toISOString(), lv: d.last_value,
    })),
  );
  await tx.query(
    `INSERT INTO measurement_rollups AS m
       (resolution, point_id, variable, bucket, n, sum, min, max, first_ts, first_value, last_ts, last_value)
     SELECT r, p, v, b, n, s, mn, mx, ft, fv, lt, lv
     FROM json_to_recordset($1::json) AS j(r text, p bigint, v text, b timestamptz, n int, s float8, mn float8,
                                          mx float8, ft timestamptz, fv float8, lt timestamptz, lv float8)
     ON CONFLICT (resolution, point_id, variable, bucket) DO UPDATE SET
       n = m.n + EXCLUDED.n,
       sum = m.sum + EXCLUDED.sum,
       min = LEAST(m.min, EXCLUDED.min),
       max = GREATEST(m.max, EXCLUDED.max),
       first_ts = CASE WHEN EXCLUDED.first_ts < m.first_ts THEN EXCLUDED.first_ts ELSE m.first_ts END,
       first_value = CASE WHEN EXCLUDED.first_ts < m.first_ts THEN EXCLUDED.first_value ELSE m.first_value END,
       last_ts = CASE WHEN EXCLUDED.last_ts > m.last_ts THEN EXCLUDED.last_ts ELSE m.last_ts END,
       last_value = CASE WHEN EXCLUDED.last_ts > m.last_ts THEN EXCLUDED.last_value ELSE m.last_value END`,
    [payload],
  );
}

export interface RebuildRange {
  /** Start of the range; widened to its UTC day. Unset: from the first reading. */
  from?: Date;
  /** End of the range (exclusive); widened to the end of its UTC day. Unset: to the last reading. */
  to?: Date;
  /** Only these points; unset: all. */
  pointIds?: number[];
  /** Only this variable; unset: all. */
  variable?: string;
}

/** Value at the earliest/latest time of a group in one pass (arrays compare element by element; no sort per group). */
const edge = (fn: 'min' | 'max', ts: string, value: string) => `(${fn}(ARRAY[extract(epoch FROM ${ts})::float8, ${value}]))[2]`;

/**
 * Recomputes the rollups of whole UTC days from `measurements`: hourly buckets by GROUP BY over the
 * rows, daily buckets from the hourly ones. Holds a lock that makes concurrent processor upserts wait,
 * so a reading committed during the rebuild is neither lost nor counted twice.
 * Returns the number of hourly and daily buckets written.
 */
export async function rebuildRollups(db: Db, range: RebuildRange = {}): Promise<{ hourly: number; daily: number }> {
  return db.transaction((tx) => rebuildRollupsIn(tx, range));
}

/**
 * Blocks rollup upserts of other transactions until this one ends. A transaction that changes stored
 * readings and then rebuilds their rollups takes it first, so it never waits on a processor while
 * holding row locks the processor waits on.
 */
export async function lockRollups(tx: Queryable): Promise<void> {
  await tx.query('LOCK TABLE measurement_rollups IN SHARE ROW EXCLUSIVE MODE');
}

/** `rebuildRollups` inside the caller's transaction (corrections rebuild in the transaction that changed the readings). */
export async function rebuildRollupsIn(tx: Queryable, range: RebuildRange = {}): Promise<{ hourly: number; daily: number }> {
  const from = range.from ? new Date(Math.floor(range.from.getTime() / DAY_MS) * DAY_MS) : null;
  const to = range.to ? new Date(Math.ceil(range.to.getTime() / DAY_MS) * DAY_MS) : null;
  const ids = range.pointIds ?? null;
  const params = [from, to, ids, range.variable ?? null];
  const where = (tsColumn: string) =>
    `($1::timestamptz IS NULL OR ${tsColumn} >= $1) AND ($2::timestamptz IS NULL OR ${tsColumn} < $2)
     AND ($3::bigint[] IS NULL OR point_id = ANY($3::bigint[])) AND ($4::text IS NULL OR variable = $4)`;
  // Corrected readings count with their corrected value; invalidated ones not at all.
  const value = EFFECTIVE_VALUE();
  await lockRollups(tx);
  await tx.query(`DELETE FROM measurement_rollups WHERE ${where('bucket')}`, params);
  const hourly = await tx.query(
    `INSERT INTO measurement_rollups
       (resolution, point_id, variable, bucket, n, sum, min, max, first_ts, first_value, last_ts, last_value)
     SELECT '1h', point_id, variable, date_trunc('hour', ts, 'UTC'), count(*), sum(${value}),
            min(${value}), max(${value}),
            min(ts), ${edge('min', 'ts', value)}, max(ts), ${edge('max', 'ts', value)}
     FROM measurements
     WHERE ${value} IS NOT NULL AND ${value} NOT IN ('NaN', 'Infinity', '-Infinity') AND ${where('ts')}
     GROUP BY point_id, variable, date_trunc('hour', ts, 'UTC')`,
    params,
  );
  const daily = await tx.query(
    `INSERT INTO measurement_rollups
       (resolution, point_id, variable, bucket, n, sum, min, max, first_ts, first_value, last_ts, last_value)
     SELECT '1d', point_id, variable, date_trunc('day', bucket, 'UTC'), sum(n), sum(sum), min(min), max(max),
            min(first_ts), ${edge('min', 'first_ts', 'first_value')}, max(last_ts), ${edge('max', 'last_ts', 'last_value')}
     FROM measurement_rollups
     WHERE resolution = '1h' AND ${where('bucket')}
     GROUP BY point_id, variable, date_trunc('day', bucket, 'UTC')`,
    params,
  );
  return { hourly: hourly.rowCount, daily: daily.rowCount };
}
