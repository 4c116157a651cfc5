import type { Container } from '../../src/container.js';
import { hashPassword } from '../../src/auth/password.js';
import { rebuildRollups } from '../../src/telemetry/query/rollup.repository.js';
import { DAY_MS, MINUTE_MS } from '../../src/lib/time.js';

export type Progress = (msg: string) => void;

export const BENCH_EMAIL = 'bench@smarthydro.local';
export const BENCH_PASSWORD = 'bench-password';
export const VARIABLES = ['flow', 'totalizer', 'level'] as const;


export interface Dataset {
  /** Points with a year of 1-minute flow and totalizer readings. */
  sample: number[];
  /** End of the generated data (exclusive), a whole minute; the year is [yearStart, end). */
  end: Date;
  yearStart: Date;
  rows: number;
}

/**
 * Synthetic readings are functions of (point, time), so the recent history of every point and the
 * year of the sample points join without a seam. Flow (L/s) follows a daily sine around a per-point
 * base; the totalizer (m³) is its exact integral; the level (m) follows a weekly sine.
 */
const M = `(extract(epoch FROM ts) / 60 - 26297280)`; // minutes since 2020-01-01
const BASE = '(10 + p.id % 7)';
const VALUE: Record<(typeof VARIABLES)[number], string> = {
  flow: `${BASE} + 4 * sin(2 * pi() * ${M} / 1440)`,
  totalizer: `${BASE} * 0.06 * ${M} + 0.24 * 1440 / (2 * pi()) * (1 - cos(2 * pi() * ${M} / 1440))`,
  level: `30 + p.id % 11 + 0.5 * sin(2 * pi() * ${M} / 10080)`,
};
// Rounded as loggers report them (flow and level to 0.01, the totalizer to the litre).
const DIGITS: Record<(typeof VARIABLES)[number], number> = { flow: 2, totalizer: 3, level: 2 };
const valueCase = `CASE v.variable ${VARIABLES.map((k) => `WHEN '${k}' THEN round((${VALUE[k]})::numeric, ${DIGITS[k]})::float8`).join(' ')} END`;

/** 10 clients × 10 projects, points spread over Chile, 1/5/60-minute frequencies, three providers; a schema per point. */
export async function buildPoints(c: Container, n: number): Promise<void> {
  await c.db.exec(`
    INSERT INTO clients (name, rut) SELECT 'Bench client ' || g, (10000000 + g) || '-' || g FROM generate_series(1, 10) g;
    INSERT INTO projects (client_id, name, code_internal)
      SELECT c.id, 'Bench project ' || g, 'B' || c.id || '-' || g FROM clients c, generate_series(1, 10) g;`);
  await c.db.query(
    `INSERT INTO catchment_points (project_id, title, latitude, longitude, is_telemetry_active, provider, frequency, provider_device, telemetry_start_at)
     SELECT p.id, 'Bench point ' || g, -18 - (g % 3700) / 100.0, -70.5 + (g % 100) / 100.0, g % 10 <> 0,
            (ARRAY['twin','nettra','novus'])[1 + g % 3], (ARRAY[1,5,60])[1 + (g / 3) % 3], 'dev-' || g, now()
     FROM generate_series(1, $1::int) g
     JOIN LATERAL (SELECT id FROM projects ORDER BY id OFFSET (g % 100) LIMIT 1) p ON true`,
    [n],
  );
  await c.db.query(
    `INSERT INTO dynamic_schemas (point_id, custom_config) SELECT id, $1::jsonb FROM catchment_points
     ON CONFLICT (point_id) DO NOTHING`,
    [
      JSON.stringify({
        flow: { kind: 'flow', channel: 'q', unit: 'L/s' },
        totalizer: { kind: 'totalizer', channel: 't', unit: 'm3' },
        level: { kind: 'level', channel: 'l', unit: 'm' },
      }),
    ],
  );
  await c.db.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
    BENCH_EMAIL,
    await hashPassword(BENCH_PASSWORD),
  ]);
  await c.events.registryChanged();
}

/**
 * Telemetry: `historyHours` of 5-minute readings of flow, totalizer and level for every point (what
 * the naive latest-values query has to scan), latest_values from them, one year of 1-minute flow and
 * totalizer for `sample` points, then the rollups rebuilt in bulk.
 */
export async function buildTelemetry(
  c: Container,
  opts: { sample: number; historyHours: number; now?: Date },
  progress: Progress,
): Promise<Dataset> {
  const db = c.db;
  const end = new Date(Math.floor((opts.now ?? new Date()).getTime() / (5 * MINUTE_MS)) * 5 * MINUTE_MS);
  const yearStart = new Date(end.getTime() - 365 * DAY_MS);
  const historyStart = new Date(end.getTime() - opts.historyHours * 3_600_000);
  await db.query(
    `SELECT sh_ensure_measurement_partition(m) FROM generate_series($1::timestamptz, $2::timestamptz + interval '1 month', interval '1 month') m`,
    [yearStart, end],
  );

  let rows = 0;
  let t0 = performance.now();
  const r1 = await db.query(
    `INSERT INTO measurements (point_id, variable, ts, value_numeric, quality_score, provider)
     SELECT p.id, v.variable, ts, ${valueCase}, 1, p.provider
     FROM catchment_points p
     CROSS JOIN (VALUES ${VARIABLES.map((v) => `('${v}')`).join(', ')}) v(variable)
     CROSS JOIN generate_series($1::timestamptz, $2::timestamptz - interval '1 minute', interval '5 minutes') ts`,
    [historyStart, end],
  );
  rows += r1.rowCount;
  progress(`recent history: ${r1.rowCount.toLocaleString('en')} readings (${opts.historyHours} h × 3 variables × every point) in ${secs(t0)}`);

  t0 = performance.now();
  await db.query(
    `INSERT INTO latest_values (point_id, variable, ts, value_numeric, quality_score)
     SELECT DISTINCT ON (point_id, variable) point_id, variable, ts, value_numeric, quality_score
     FROM measurements WHERE ts >= $1 ORDER BY point_id, variable, ts DESC`,
    [historyStart],
  );
  progress(`latest values of every point in ${secs(t0)}`);

  const { rows: picked } = await db.query<{ id: number }>(
    'SELECT id FROM catchment_points WHERE is_telemetry_active ORDER BY id LIMIT $1',
    [opts.sample],
  );
  const sample = picked.map((r) => r.id);
  await db.query(
    'UPDATE catchment_points SET frequency = 1, dga_granted_flow = 20, dga_annual_volume = 450000 WHERE id = ANY($1::bigint[])',
    [sample],
  );
  for (const [i, id] of sample.entries()) {
    t0 = performance.now();
    let pointRows = 0;
    for (let m = 0; m < 12; m++) {
      const from = new Date(yearStart.getTime() + (m * 365 * DAY_MS) / 12);
      const to = m === 11 ? historyStart : new Date(yearStart.getTime() + ((m + 1) * 365 * DAY_MS) / 12);
      const r = await db.query(
        `INSERT INTO measurements (point_id, variable, ts, value_numeric, quality_score, provider)
         SELECT p.id, v.variable, ts, ${valueCase}, 1, p.provider
         FROM catchment_points p
         CROSS JOIN (VALUES ('flow'), ('totalizer')) v(variable)
         CROSS JOIN generate_series(date_trunc('minute', $2::timestamptz), $3::timestamptz - interval '1 minute', interval '1 minute') ts
         WHERE p.id = $1
         ON CONFLICT DO NOTHING`,
        [id, from, to],
      );
      pointRows += r.rowCount;
      progress(`year of 1-minute data: point ${i + 1}/${sample.length}, month ${m + 1}/12 (${pointRows.toLocaleString('en')} readings)`);
    }
    rows += pointRows;
    progress(`point ${id}: ${pointRows.toLocaleString('en')} readings in ${secs(t0)}`);
  }

  t0 = performance.now();
  progress('building hourly and daily rollups (bulk rebuild) …');
  const built = await rebuildRollups(db);
  progress(`rollups: ${built.hourly.toLocaleString('en')} hourly, ${built.daily.toLocaleString('en')} daily buckets in ${secs(t0)}`);

  t0 = performance.now();
  await db.exec(db.kind === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
  progress(`${db.kind === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE'} in ${secs(t0)}`);
  return { sample, end, yearStart, rows };
}

/** A point with `n` one-second readings of one variable, for the CSV export memory figure. */
export async function buildExportPoint(c: Container, n: number, progress: Progress): Promise<{ pointId: number; from: Date; to: Date }> {
  const db = c.db;
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency)
     SELECT id, 'CSV export point', false, 'twin', 1 FROM projects ORDER BY id LIMIT 1 RETURNING id`,
  );
  const pointId = rows[0]!.id;
  await c.events.registryChanged();
  const from = new Date(Date.UTC(2023, 0, 1));
  const to = new Date(from.getTime() + n * 1000);
  await db.query(
    `SELECT sh_ensure_measurement_partition(m) FROM generate_series($1::timestamptz, $2::timestamptz, interval '1 month') m`,
    [from, to],
  );
  const chunk = 1_000_000;
  const t0 = performance.now();
  for (let done = 0; done < n; done += chunk) {
    const k = Math.min(chunk, n - done);
    await db.query(
      `INSERT INTO measurements (point_id, variable, ts, value_numeric, quality_score)
       SELECT $1, 'flow', $2::timestamptz + g * interval '1 second', 10 + (g % 1000) / 100.0, 1
       FROM generate_series($3::bigint, $4::bigint) g`,
      [pointId, from, done, done + k - 1],
    );
    progress(`CSV export data: ${(done + k).toLocaleString('en')}/${n.toLocaleString('en')} readings (${secs(t0)})`);
  }
  if (db.kind === 'postgres') await db.exec('VACUUM ANALYZE measurements');
  return { pointId, from, to };
}

export function secs(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}
