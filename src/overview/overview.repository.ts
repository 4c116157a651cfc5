import type { Db } from '../infra/db/index.js';

/** A point and the newest reading of any of its variables. */
export interface PointReadingRow {
  point_id: number;
  is_telemetry_active: boolean;
  frequency: number;
  dga_send: boolean;
  has_dga_code: boolean;
  last_reading_at: Date | null;
}

/** Collection ticks of one provider in the 24 hours before `now`, as the collectors recorded them. */
export interface ProviderTicksRow {
  provider: string;
  last_tick_at: Date | null;
  ticks_24h: number;
  failures_24h: number;
  last_error: string | null;
}

export interface PointScope {
  /** The caller's client (null: staff, every client). */
  tenant: number | null;
  client_id?: number;
  project_id?: number;
}

/** A reading scoring this or less carries a flag that makes its value doubtful or unusable (spike, out of range, no value). */
export const ERROR_QUALITY_SCORE = 0.5;

/** The read side of point statuses and the dashboard: points, latest values, dead letters, collection ticks. */
export class OverviewRepository {
  constructor(private readonly db: Db) {}

  /**
   * Every point in scope with its newest reading, by id: one query, the newest reading per point
   * taken from `latest_values` (one row per point variable), never from the measurements.
   */
  async pointReadings(scope: PointScope): Promise<PointReadingRow[]> {
    const params: unknown[] = [];
    const conds: string[] = [];
    if (scope.tenant !== null) conds.push(`pr.client_id = $${params.push(scope.tenant)}`);
    if (scope.client_id !== undefined) conds.push(`pr.client_id = $${params.push(scope.client_id)}`);
    if (scope.project_id !== undefined) conds.push(`p.project_id = $${params.push(scope.project_id)}`);
    const { rows } = await this.db.query<PointReadingRow & { point_id: number | string }>(
      `SELECT p.id AS point_id, p.is_telemetry_active, p.frequency, p.dga_send, p.dga_code IS NOT NULL AS has_dga_code,
              lv.last_reading_at
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id
       LEFT JOIN (SELECT point_id, max(ts) AS last_reading_at FROM latest_values GROUP BY point_id) lv ON lv.point_id = p.id
       ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
       ORDER BY p.id`,
      params,
    );
    for (const r of rows) r.point_id = Number(r.point_id);
    return rows as PointReadingRow[];
  }

  /**
   * Points of the caller (null: all) with a dead letter received after `since`, or with a variable whose
   * latest reading, taken after `since`, scores at most ERROR_QUALITY_SCORE.
   */
  async pointsWithErrors(tenant: number | null, since: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM catchment_points p JOIN projects pr ON pr.id = p.project_id
       WHERE ($1::bigint IS NULL OR pr.client_id = $1)
         AND (EXISTS (SELECT 1 FROM dead_letters d WHERE d.point_id = p.id AND d.received_at > $2)
              OR EXISTS (SELECT 1 FROM latest_values l WHERE l.point_id = p.id AND l.ts > $2 AND l.quality_score <= $3))`,
      [tenant, since, ERROR_QUALITY_SCORE],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Per provider: finished ticks since `since` that collected some of its points, the point collections
   * that failed in them, the newest failure's error; plus the providers of active points with no tick
   * in that time (last_tick_at then is their newest tick ever, or null).
   */
  async providerTicks(since: Date): Promise<ProviderTicksRow[]> {
    const { rows } = await this.db.query<{
      provider: string; last_tick_at: Date | null; ticks_24h: number | string; failures_24h: number | string | null; last_error: string | null;
    }>(
      `WITH recent AS (
         SELECT bp.key AS provider, max(t.tick_at) AS last_tick_at, count(*) AS ticks_24h,
                sum(COALESCE((bp.value->>'failed')::int, 0)) AS failures_24h,
                (array_agg(bp.value->>'last_error' ORDER BY t.tick_at DESC) FILTER (WHERE bp.value->>'last_error' IS NOT NULL))[1] AS last_error
         FROM collection_ticks t CROSS JOIN LATERAL jsonb_each(t.by_provider) bp
         WHERE t.tick_at > $1 AND t.finished_at IS NOT NULL AND t.by_provider IS NOT NULL
         GROUP BY bp.key
       ), silent AS (
         SELECT DISTINCT p.provider FROM catchment_points p
         WHERE p.is_telemetry_active AND p.provider IS NOT NULL AND p.provider <> 'push'
           AND p.provider NOT IN (SELECT provider FROM recent)
       )
       SELECT provider, last_tick_at, ticks_24h, failures_24h, last_error FROM recent
       UNION ALL
       SELECT s.provider,
              (SELECT max(t.tick_at) FROM collection_ticks t WHERE t.finished_at IS NOT NULL AND t.by_provider ? s.provider),
              0, 0, NULL
       FROM silent s
       ORDER BY provider`,
      [since],
    );
    return rows.map((r) => ({
      provider: r.provider,
      last_tick_at: r.last_tick_at,
      ticks_24h: Number(r.ticks_24h),
      failures_24h: Number(r.failures_24h ?? 0),
      last_error: r.last_error,
    }));
  }
}
