import type { Db } from '../../src/infra/db/index.js';

/**
 * The same answers computed the naive way, straight from the raw rows, as the baselines of the
 * performance report (what the legacy system did: no rollups, no latest-value table, no cache).
 */
export const naive = {
  /** Latest value of every point variable: DISTINCT ON over all raw rows, as JSON. */
  latest: (db: Db) =>
    db.query(
      `SELECT COALESCE(json_agg(json_build_object('point_id', point_id, 'variable', variable, 'value', value_numeric,
                                                  'timestamp', ts, 'quality_score', quality_score)), '[]')::text AS json
       FROM (SELECT DISTINCT ON (point_id, variable) point_id, variable, ts, value_numeric, quality_score
             FROM measurements ORDER BY point_id, variable, ts DESC) x`,
    ),

  /** A year downsampled: GROUP BY over the raw rows into the same buckets. */
  series: (db: Db, pointId: number, variable: string, from: Date, to: Date, bucketSeconds: number) =>
    db.query(
      `SELECT date_bin(make_interval(secs => $5), ts, '1970-01-05T00:00:00Z') AS t, avg(value_numeric), min(value_numeric),
              max(value_numeric), count(*), (array_agg(value_numeric ORDER BY ts DESC))[1] AS last
       FROM measurements WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND ts < $4
       GROUP BY 1 ORDER BY 1`,
      [pointId, variable, from, to, bucketSeconds],
    ),

  /** One day of raw rows selected by calendar date (Django's `ts__date=`): no range for the index or the partitions. */
  day: (db: Db, pointId: number, variable: string, day: Date) =>
    db.query(
      `SELECT variable, ts, value_numeric, quality_score, quality_flags FROM measurements
       WHERE point_id = $1 AND variable = $2 AND ts::date = $3::date ORDER BY ts`,
      [pointId, variable, day.toISOString().slice(0, 10)],
    ),

  /** Monthly consumption as max − min of the raw totalizer per local month. */
  consumption: (db: Db, pointId: number, from: Date, to: Date, tz: string) =>
    db.query(
      `SELECT date_trunc('month', ts AT TIME ZONE $4) AS month, max(value_numeric) - min(value_numeric) AS volume
       FROM measurements WHERE point_id = $1 AND variable = 'totalizer' AND ts >= $2 AND ts < $3
       GROUP BY 1 ORDER BY 1`,
      [pointId, from, to, tz],
    ),
};
