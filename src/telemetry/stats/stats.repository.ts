import type { Db } from '../../infra/db/index.js';

/** A collection tick as recorded by the collector that claimed it. */
export interface TickRow {
  frequency: number;
  tick_at: Date;
  claimed_by: string;
  finished_at: Date | null;
  points: number | null;
  readings: number | null;
  ok: number | null;
  no_data: number | null;
  failed: number | null;
  by_provider: Record<string, { points?: number; ok?: number; no_data?: number; failed?: number; readings?: number }> | null;
}

/** Ticks of one frequency in a period, summed (PostgreSQL returns the counts as text: callers convert). */
export interface TickTotalsRow {
  frequency: number;
  ticks: number;
  unfinished: number;
  ok: number;
  no_data: number;
  failed: number;
  readings: number;
}

/** Active points of one provider and frequency, and their cursors. */
export interface ProviderCursorRow {
  provider: string;
  frequency: number;
  points: number;
  cursors: number;
  oldest: Date | null;
}

/** The read side of /stats: collection ticks and cursors, dead letters, hourly rollups. */
export class StatsRepository {
  constructor(private readonly db: Db) {}

  /** The latest tick of each frequency. */
  async lastTicks(): Promise<TickRow[]> {
    const { rows } = await this.db.query<TickRow>(
      `SELECT DISTINCT ON (frequency) frequency, tick_at, claimed_by, finished_at, points, readings, ok, no_data, failed, by_provider
       FROM collection_ticks ORDER BY frequency, tick_at DESC`,
    );
    return rows;
  }

  /** Ticks of the 24 hours before `now`, per frequency. */
  async dayTicks(now: Date): Promise<TickTotalsRow[]> {
    const { rows } = await this.db.query<TickTotalsRow>(
      `SELECT frequency, count(*) AS ticks, count(*) FILTER (WHERE finished_at IS NULL) AS unfinished,
              COALESCE(sum(ok), 0) AS ok, COALESCE(sum(no_data), 0) AS no_data, COALESCE(sum(failed), 0) AS failed,
              COALESCE(sum(readings), 0) AS readings
       FROM collection_ticks WHERE tick_at > $1::timestamptz - interval '24 hours' GROUP BY frequency ORDER BY frequency`,
      [now],
    );
    return rows;
  }

  async cursorsByProvider(): Promise<ProviderCursorRow[]> {
    const { rows } = await this.db.query<ProviderCursorRow>(
      `SELECT p.provider, p.frequency, count(DISTINCT p.id) AS points, count(c.point_id) AS cursors, min(c.cursor_ts) AS oldest
       FROM catchment_points p LEFT JOIN collection_cursors c ON c.point_id = p.id
       WHERE p.is_telemetry_active AND p.provider IS NOT NULL
       GROUP BY p.provider, p.frequency ORDER BY p.provider, p.frequency`,
    );
    return rows;
  }

  /** All dead letters and those of the 24 hours before `now`. */
  async deadLetterCounts(now: Date): Promise<{ total: number; last_24h: number }> {
    const { rows } = await this.db.query<{ total: number | string; last_24h: number | string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE received_at > $1::timestamptz - interval '24 hours') AS last_24h FROM dead_letters`,
      [now],
    );
    return { total: Number(rows[0]?.total ?? 0), last_24h: Number(rows[0]?.last_24h ?? 0) };
  }

  /** Numeric readings stored in the hourly buckets from `from` to `to`. */
  async storedBetween(from: Date, to: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: number | string | null }>(
      `SELECT sum(n) AS n FROM measurement_rollups WHERE resolution = '1h' AND bucket >= $1 AND bucket <= $2`,
      [from, to],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
