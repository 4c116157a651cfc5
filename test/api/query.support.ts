import type { Db, Queryable } from '../../src/infra/db/index.js';
import { upsertRollups } from '../../src/telemetry/query/rollup.repository.js';

export interface Reading {
  point_id: number;
  variable: string;
  ts: Date;
  value: number | string | boolean | null;
  quality_score?: number;
  quality_flags?: string[];
}

/**
 * Stores readings the way the processor does: measurements with ON CONFLICT DO NOTHING RETURNING, the
 * rollups from exactly the rows inserted, latest_values moved forward only. Returns the rows inserted.
 */
export async function store(db: Db, readings: readonly Reading[], opts: { latest?: boolean } = {}) {
  const months = new Set(readings.map((r) => r.ts.toISOString().slice(0, 7)));
  for (const m of months) await db.query('SELECT sh_ensure_measurement_partition($1)', [`${m}-01T00:00:00Z`]);
  const payload = JSON.stringify(
    readings.map((r) => ({
      p: r.point_id, v: r.variable, t: r.ts.toISOString(),
      n: typeof r.value === 'number' ? r.value : null, x: typeof r.value === 'string' ? r.value : null,
      b: typeof r.value === 'boolean' ? r.value : null, q: r.quality_score ?? 1, f: r.quality_flags ?? [],
    })),
  );
  return db.transaction(async (tx: Queryable) => {
    const { rows } = await tx.query<{ point_id: number; variable: string; ts: Date; value_numeric: number | null }>(
      `INSERT INTO measurements (point_id, variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags, raw_value)
       SELECT p, v, t, n, x, b, q, ARRAY(SELECT json_array_elements_text(f)), to_jsonb(COALESCE(n::text, x, b::text))
       FROM json_to_recordset($1::json) AS j(p bigint, v text, t timestamptz, n float8, x text, b boolean, q real, f json)
       ON CONFLICT (point_id, variable, ts) DO NOTHING
       RETURNING point_id, variable, ts, value_numeric`,
      [payload],
    );
    await upsertRollups(tx, rows);
    if (opts.latest !== false) {
      await tx.query(
        `INSERT INTO latest_values AS l (point_id, variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags)
         SELECT DISTINCT ON (p, v) p, v, t, n, x, b, q, ARRAY(SELECT json_array_elements_text(f))
         FROM json_to_recordset($1::json) AS j(p bigint, v text, t timestamptz, n float8, x text, b boolean, q real, f json)
         WHERE EXISTS (SELECT 1 FROM catchment_points cp WHERE cp.id = j.p)
         ORDER BY p, v, t DESC
         ON CONFLICT (point_id, variable) DO UPDATE SET ts = EXCLUDED.ts, value_numeric = EXCLUDED.value_numeric,
           value_text = EXCLUDED.value_text, value_boolean = EXCLUDED.value_boolean, quality_score = EXCLUDED.quality_score,
           quality_flags = EXCLUDED.quality_flags
         WHERE EXCLUDED.ts >= l.ts`,
        [payload],
      );
    }
    return rows;
  });
}

export interface RollupRow {
  resolution: string;
  point_id: number;
  variable: string;
  bucket: string;
  n: number;
  sum: number;
  min: number;
  max: number;
  first_ts: string;
  first_value: number;
  last_ts: string;
  last_value: number;
}

export async function rollupTable(db: Db): Promise<RollupRow[]> {
  const { rows } = await db.query<RollupRow>(
    `SELECT resolution, point_id, variable, bucket::text, n, sum, min, max, first_ts::text, first_value, last_ts::text, last_value
     FROM measurement_rollups ORDER BY resolution, point_id, variable, bucket`,
  );
  return rows;
}
