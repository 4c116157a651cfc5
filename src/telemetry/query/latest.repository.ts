import type { Db } from '../../infra/db/index.js';

/** One row per point: its id and `[{"variable","value","timestamp","quality_score"},…]`, variables by name. */
const POINT_VARIABLES_SQL = `
  SELECT l.point_id, '[' || string_agg(row_to_json(x)::text, ',' ORDER BY l.variable) || ']' AS vars
  FROM latest_values l
  CROSS JOIN LATERAL (
    SELECT l.variable,
           COALESCE(to_json(l.value_numeric), to_json(l.value_text), to_json(l.value_boolean)) AS value,
           to_char(l.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "timestamp",
           l.quality_score
  ) x`;

/** SQL of the latest values (`latest_values`, kept by the processor). */
export class LatestRepository {
  constructor(private readonly db: Db) {}

  /**
   * The latest values of the points with ids in [fromId, toId), one line per point:
   * `id<TAB>[{"variable","value","timestamp","quality_score"},…]`, variables by name. The database
   * builds the JSON: the text is what the cache keeps.
   */
  async shardText(fromId: number, toId: number): Promise<string> {
    const { rows } = await this.db.query<{ point_id: number; vars: string }>(
      `${POINT_VARIABLES_SQL} WHERE l.point_id >= $1 AND l.point_id < $2 GROUP BY l.point_id`,
      [fromId, toId],
    );
    return rows.map((r) => `${r.point_id}\t${r.vars}`).join('\n');
  }

  /** The same variables JSON for the given points; a point without latest values is absent. */
  async pointsVariables(pointIds: readonly number[]): Promise<Map<number, string>> {
    const { rows } = await this.db.query<{ point_id: number; vars: string }>(
      `${POINT_VARIABLES_SQL} WHERE l.point_id = ANY($1::bigint[]) GROUP BY l.point_id`,
      [pointIds],
    );
    return new Map(rows.map((r) => [Number(r.point_id), r.vars]));
  }
}
