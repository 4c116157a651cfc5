import type { Db } from '../../infra/db/index.js';
import type { CounterBucket, CounterReading } from './consumption.js';

const MS = (col: string) => `extract(epoch FROM ${col})::float8 * 1000`;
const COUNTER = `${MS('bucket')} AS ms, ${MS('first_ts')} AS first_ms, first_value, ${MS('last_ts')} AS last_ms, last_value, min, max`;

/** Rollup reads of the consumption figures; times as epoch milliseconds (no date parsing per row). */
export class ConsumptionRepository {
  constructor(private readonly db: Db) {}

  /** Daily buckets of [start, end) (whole UTC days), ascending. */
  async days(pointId: number, variable: string, start: Date, end: Date): Promise<CounterBucket[]> {
    const { rows } = await this.db.query<CounterBucket>(
      `SELECT ${COUNTER} FROM measurement_rollups
       WHERE resolution = '1d' AND point_id = $1 AND variable = $2 AND bucket >= $3 AND bucket < $4 ORDER BY bucket`,
      [pointId, variable, start, end],
    );
    return rows;
  }

  /** Hourly buckets of the given UTC days, ascending. */
  async hoursOf(pointId: number, variable: string, dayStarts: Date[]): Promise<CounterBucket[]> {
    if (dayStarts.length === 0) return [];
    const { rows } = await this.db.query<CounterBucket>(
      `SELECT ${COUNTER} FROM measurement_rollups r
       JOIN unnest($3::timestamptz[]) d ON r.bucket >= d AND r.bucket < d + interval '1 day'
       WHERE r.resolution = '1h' AND r.point_id = $1 AND r.variable = $2 ORDER BY r.bucket`,
      [pointId, variable, dayStarts],
    );
    return rows;
  }

  /** The last reading before `before`. */
  async before(pointId: number, variable: string, before: Date): Promise<CounterReading | null> {
    const { rows } = await this.db.query<CounterReading>(
      `SELECT ${MS('last_ts')} AS ms, last_value AS value FROM measurement_rollups
       WHERE resolution = '1h' AND point_id = $1 AND variable = $2 AND bucket < $3
       ORDER BY bucket DESC LIMIT 1`,
      [pointId, variable, before],
    );
    return rows[0] ?? null;
  }
}
