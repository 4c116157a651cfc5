import type { Db } from '../../infra/db/index.js';
import type { CounterBucket } from './consumption.js';
import { BUCKET_ORIGIN, BUCKETS, bucketInterval, type BucketName } from './buckets.js';

export interface BucketRow {
  t: Date;
  avg: number;
  min: number;
  max: number;
  count: number;
  last: number;
}

export interface RawRow {
  variable: string;
  ts: Date;
  value_numeric: number | null;
  value_text: string | null;
  value_boolean: boolean | null;
  quality_score: number;
  quality_flags: string[];
}

/** A raw row already formatted as a CSV line by the database, with its timestamp as keyset key. */
export interface CsvLine {
  k: string;
  line: string;
}

const FINITE = `value_numeric NOT IN ('NaN', 'Infinity', '-Infinity')`;
const quoted = (expr: string) => `'"' || replace(${expr}, '"', '""') || '"'`;
const ISO = `to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** SQL of the read side: buckets from rollups or raw rows, raw pages by keyset. */
export class SeriesRepository {
  constructor(private readonly db: Db) {}

  /** Non-empty buckets of [start, end) (bucket-aligned), ascending. */
  async buckets(pointId: number, variable: string, bucket: BucketName, start: Date, end: Date): Promise<BucketRow[]> {
    const { source } = BUCKETS[bucket];
    const base = [pointId, variable, start, end];
    if (source === 'measurements') {
      const { rows } = await this.db.query<BucketRow>(
        `SELECT date_bin($5::interval, ts, $6::timestamptz) AS t, avg(value_numeric) AS avg, min(value_numeric) AS min,
                max(value_numeric) AS max, count(*) AS count, (array_agg(value_numeric ORDER BY ts DESC))[1] AS last
         FROM measurements
         WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND ts < $4 AND value_numeric IS NOT NULL AND ${FINITE}
         GROUP BY 1 ORDER BY 1`,
        [...base, bucketInterval(bucket), BUCKET_ORIGIN],
      );
      return rows;
    }
    if (bucket === source) {
      const { rows } = await this.db.query<BucketRow>(
        `SELECT bucket AS t, sum / n AS avg, min, max, n AS count, last_value AS last
         FROM measurement_rollups
         WHERE resolution = $5 AND point_id = $1 AND variable = $2 AND bucket >= $3 AND bucket < $4
         ORDER BY bucket`,
        [...base, source],
      );
      return rows;
    }
    const { rows } = await this.db.query<BucketRow>(
      `SELECT date_bin($6::interval, bucket, $7::timestamptz) AS t, sum(sum) / sum(n) AS avg, min(min) AS min,
              max(max) AS max, sum(n) AS count, (array_agg(last_value ORDER BY last_ts DESC))[1] AS last
       FROM measurement_rollups
       WHERE resolution = $5 AND point_id = $1 AND variable = $2 AND bucket >= $3 AND bucket < $4
       GROUP BY 1 ORDER BY 1`,
      [...base, source, bucketInterval(bucket), BUCKET_ORIGIN],
    );
    return rows;
  }

  /** Raw readings of [start, end), ascending, at most `limit`. */
  async raw(pointId: number, variable: string, start: Date, end: Date, limit: number): Promise<RawRow[]> {
    const { rows } = await this.db.query<RawRow>(
      `SELECT variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags
       FROM measurements WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND ts < $4
       ORDER BY ts LIMIT $5`,
      [pointId, variable, start, end, limit],
    );
    return rows;
  }

  /**
   * One keyset page of raw rows as CSV lines `point_id,variable,timestamp,value,quality_score,quality_flags`:
   * rows after `afterKey` (a previous page's last `k`), or from `start` when null.
   */
  async rawCsvPage(
    pointId: number,
    variable: string,
    start: Date,
    end: Date,
    afterKey: string | null,
    limit: number,
  ): Promise<CsvLine[]> {
    const { rows } = await this.db.query<CsvLine>(
      `SELECT ts::text AS k,
              point_id::text || ',' || ${quoted('variable')} || ',' || ${ISO} || ',' ||
              COALESCE(value_numeric::text, ${quoted('value_text')}, value_boolean::text, '') || ',' ||
              quality_score::text || ',' || ${quoted("array_to_string(quality_flags, ';')")} AS line
       FROM measurements
       WHERE point_id = $1 AND variable = $2 AND ts ${afterKey === null ? '>=' : '>'} $3::timestamptz AND ts < $4
       ORDER BY ts LIMIT $5`,
      [pointId, variable, afterKey ?? start, end, limit],
    );
    return rows;
  }

  /** First and last reading of each hourly bucket of [start, end), ascending. */
  async counterBuckets(pointId: number, variable: string, start: Date, end: Date): Promise<CounterBucket[]> {
    const { rows } = await this.db.query<CounterBucket>(
      `SELECT first_ts, first_value, last_ts, last_value FROM measurement_rollups
       WHERE resolution = '1h' AND point_id = $1 AND variable = $2 AND bucket >= $3 AND bucket < $4
       ORDER BY bucket`,
      [pointId, variable, start, end],
    );
    return rows;
  }

  /** The last reading before `before`, from the hourly rollups. */
  async counterBefore(pointId: number, variable: string, before: Date): Promise<{ ts: Date; value: number } | null> {
    const { rows } = await this.db.query<{ ts: Date; value: number }>(
      `SELECT last_ts AS ts, last_value AS value FROM measurement_rollups
       WHERE resolution = '1h' AND point_id = $1 AND variable = $2 AND bucket < $3
       ORDER BY bucket DESC LIMIT 1`,
      [pointId, variable, before],
    );
    return rows[0] ?? null;
  }

  /** Highest value of each hourly bucket of [start, end) (peak flow). */
  async hourlyMax(pointId: number, variable: string, start: Date, end: Date): Promise<{ bucket: Date; max: number }[]> {
    const { rows } = await this.db.query<{ bucket: Date; max: number }>(
      `SELECT bucket, max FROM measurement_rollups
       WHERE resolution = '1h' AND point_id = $1 AND variable = $2 AND bucket >= $3 AND bucket < $4
       ORDER BY bucket`,
      [pointId, variable, start, end],
    );
    return rows;
  }

  /** Whether any reading of the variable is stored (imported history may have no latest value). */
  async hasReadings(pointId: number, variable: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM measurements WHERE point_id = $1 AND variable = $2 LIMIT 1', [pointId, variable]);
    return rows.length > 0;
  }

  /** Variables the point has readings of (from latest_values, not the history). */
  async variablesWithData(pointId: number): Promise<string[]> {
    const { rows } = await this.db.query<{ variable: string }>(
      'SELECT variable FROM latest_values WHERE point_id = $1 ORDER BY variable',
      [pointId],
    );
    return rows.map((r) => r.variable);
  }
}
