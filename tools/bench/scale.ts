/**
 * The 100,000-point figures of SPEC §11: `/points/active` over 100,000 points, one DGA planning pass
 * for 10,000 MAYOR points, and a year of DGA compliance for 10,000 points, each against the same work
 * done the naive way in the same run.
 */
import type { Container } from '../../src/container.js';
import type { Principal } from '../../src/auth/principal.js';
import { startApi } from '../../src/roles/api.js';
import { PointRepository } from '../../src/registry/point.repository.js';
import { DgaPointRepository } from '../../src/dga/dga-point.repository.js';
import { SubmissionRepository } from '../../src/dga/submission.repository.js';
import { SlotPlanner } from '../../src/dga/slot.planner.js';
import { DEFAULT_MAX_BACKFILL_MS } from '../../src/dga/slots.js';
import { DAY_MS, MINUTE_MS } from '../../src/lib/time.js';
import { toLocal } from '../../src/lib/timezone.js';
import { COMPLIANCE_BUCKETS } from '../../src/dga/compliance.js';
import { httpLoad } from './http-load.js';
import { buildPoints, secs, type Progress } from './dataset.js';
import { naive } from './naive.js';
import { percentile, result, timeMany, type BenchResult } from './stats.js';

export interface ScaleOptions {
  /** Registered points (the /points/active figure). */
  points: number;
  /** Points reporting to DGA (the planning and compliance figures); at most `points`. */
  dgaPoints: number;
  /** Requests of the /points/active figure. */
  requests: number;
  /** A bearer token of an admin of the data set (buildPoints' bench user). */
  token: (c: Container) => Promise<string>;
  progress: Progress;
}

/** Bars of SPEC §11 at 100,000 points. */
export const SCALE_TARGETS = { activeP99Ms: 50, planningMs: 5_000, complianceMs: 2_000 } as const;

/** Hours of 15-minute readings of every DGA point before the planning pass (the slots it owes). */
const DGA_DATA_HOURS = 6;

/**
 * The share of each standard among the compliance points and what became of their slots (per
 * hundred, by a hash of point and slot): mostly sent on time, some late, some still pending,
 * failed, needing attention, and a few never planned (missing).
 */
export const COMPLIANCE_MIX = {
  standards: { MAYOR: 2, MEDIO: 60, MENOR: 38 },
  outcomes: { sent_on_time: 85, sent_late: 7, pending: 2, failed: 2, needs_attention: 1, missing: 3 },
} as const;

const ADMIN: Principal = { userId: 0, role: 'admin', clientId: null };

export async function benchScale(c: Container, opts: ScaleOptions): Promise<BenchResult[]> {
  const say = opts.progress;
  const results: BenchResult[] = [];
  const t0 = performance.now();
  say(`scale: building ${opts.points.toLocaleString('en')} points …`);
  await buildPoints(c, opts.points);
  await c.db.exec(c.db.kind === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
  say(`scale: points ready in ${secs(t0)}`);
  results.push(...(await benchActive(c, opts)));
  const dga = Math.min(opts.dgaPoints, opts.points);
  await prepareDgaPoints(c, dga, say);
  results.push(...(await benchPlanning(c, dga, say)));
  results.push(...(await benchCompliance(c, dga, say)));
  return results;
}

/** GET /api/v1/points/active over HTTP against the uncached query. */
async function benchActive(c: Container, opts: ScaleOptions): Promise<BenchResult[]> {
  const token = await opts.token(c);
  const api = await startApi(c);
  try {
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' };
    opts.progress(`scale: measuring GET /api/v1/points/active (${opts.requests} requests) …`);
    const samples = (await httpLoad(`${api.url}/api/v1/points/active`, headers, 10, opts.requests)).sort((a, b) => a - b);
    const runs = Math.max(5, Math.round(opts.requests / 20));
    opts.progress(`scale: measuring the uncached points/active query (${runs} runs) …`);
    const repo = new PointRepository(c.db);
    const base = await timeMany(runs, () => repo.activeJson({ tenant: null }));
    const name = `points/active all (${opts.points.toLocaleString('en')} points)`;
    return [
      result(`${name} p50`, percentile(samples, 50), 'ms', null, base.p50),
      result(`${name} p99`, percentile(samples, 99), 'ms', SCALE_TARGETS.activeP99Ms, base.p99),
    ];
  } finally {
    await api.stop();
  }
}

/**
 * `n` points become DGA MAYOR points (wells: totalizer and level required), every one reporting
 * from 400 days ago, with DGA_DATA_HOURS of 15-minute readings of their three variables.
 */
async function prepareDgaPoints(c: Container, n: number, say: Progress): Promise<void> {
  const t0 = performance.now();
  const start = new Date(Date.now() - 400 * DAY_MS);
  const local = toLocal(start, c.config.reportTimezone);
  const startDate = `${local.year}-${pad(local.month)}-${pad(local.day)}`;
  await c.db.query(
    `UPDATE catchment_points SET dga_send = true, dga_standard = 'MAYOR', dga_type = 'SUBTERRANEO',
       dga_code = 'OB-' || lpad((id % 10000)::text, 4, '0') || '-' || id, dga_informant_rut = '12345678-5',
       dga_company_rut = '76086428-5', dga_password_enc = $2, dga_start_date = $3::date
     WHERE id IN (SELECT id FROM catchment_points ORDER BY id LIMIT $1)`,
    [n, c.secrets.encrypt('bench-informant-password'), startDate],
  );
  const end = new Date(Math.floor(Date.now() / (15 * MINUTE_MS)) * 15 * MINUTE_MS);
  const from = new Date(end.getTime() - DGA_DATA_HOURS * 3_600_000);
  await c.db.query(
    `SELECT sh_ensure_measurement_partition(m) FROM generate_series($1::timestamptz, $2::timestamptz + interval '1 month', interval '1 month') m`,
    [from, end],
  );
  const { rowCount } = await c.db.query(
    `INSERT INTO measurements (point_id, variable, ts, value_numeric, quality_score, provider)
     SELECT p.id, v.variable, ts,
            CASE v.variable WHEN 'flow' THEN 10 + p.id % 7
                            WHEN 'totalizer' THEN round(((10 + p.id % 7) * 0.06 * extract(epoch FROM ts) / 60)::numeric, 3)::float8
                            ELSE 30 + p.id % 11 END,
            1, p.provider
     FROM catchment_points p
     CROSS JOIN (VALUES ('flow'), ('totalizer'), ('level')) v(variable)
     CROSS JOIN generate_series($1::timestamptz, $2::timestamptz, interval '15 minutes') ts
     WHERE p.dga_send
     ON CONFLICT DO NOTHING`,
    [from, end],
  );
  await c.events.registryChanged();
  await c.db.exec(c.db.kind === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
  say(`scale: ${n.toLocaleString('en')} DGA MAYOR points with ${rowCount.toLocaleString('en')} readings in ${secs(t0)}`);
}

const pad = (n: number) => String(n).padStart(2, '0');

function planner(c: Container): SlotPlanner {
  return new SlotPlanner({
    points: new DgaPointRepository(c.db),
    submissions: new SubmissionRepository(c.db),
    config: { tz: c.config.reportTimezone, variables: (id) => c.schemas.variables(id), variablesMany: (ids) => c.schemas.variablesMany(ids), password: (enc) => c.secrets.decrypt(enc) },
    logger: c.logger,
    clock: c.clock,
    maxBackfill: DEFAULT_MAX_BACKFILL_MS,
  });
}

/**
 * One planning pass (SlotPlanner.planAll, as the reporter runs it) against planning the same points
 * one at a time (three queries per point). Both start from no submissions and must plan the same rows.
 */
async function benchPlanning(c: Container, n: number, say: Progress): Promise<BenchResult[]> {
  // The pass first, on cold caches (as a reporter's first pass after a start), then the naive loop.
  say('scale: one planning pass (SlotPlanner.planAll) …');
  let t0 = performance.now();
  const planned = await planner(c).planAll();
  const ms = performance.now() - t0;
  const rows = await planSnapshot(c);
  await c.db.exec('DELETE FROM dga_submissions');
  if (c.db.kind === 'postgres') await c.db.exec('VACUUM ANALYZE dga_submissions');

  const points = await new DgaPointRepository(c.db).sendingPoints();
  say(`scale: planning ${points.length.toLocaleString('en')} points one by one (the naive loop) …`);
  const p1 = planner(c);
  t0 = performance.now();
  let naivePlanned = 0;
  for (const point of points) naivePlanned += await p1.planPoints([point]);
  const naiveMs = performance.now() - t0;
  const naiveRows = await planSnapshot(c);
  say(`scale: planAll planned ${planned.toLocaleString('en')} slots in ${(ms / 1000).toFixed(2)} s; one by one ${naivePlanned.toLocaleString('en')} in ${(naiveMs / 1000).toFixed(2)} s`);
  if (planned === 0 || planned !== naivePlanned || rows !== naiveRows) {
    throw new Error(`the planning pass and the naive loop disagree: ${planned} vs ${naivePlanned} slots (${rows} vs ${naiveRows})`);
  }
  await c.db.exec('DELETE FROM dga_submissions');
  return [result(`DGA planning pass, ${n.toLocaleString('en')} MAYOR points (${planned.toLocaleString('en')} slots)`, ms, 'ms', SCALE_TARGETS.planningMs, naiveMs)];
}

/** Planned rows summarised (count, points, first and last slot, a checksum) to compare two plannings. */
async function planSnapshot(c: Container): Promise<string> {
  const { rows } = await c.db.query<{ s: string }>(
    `SELECT count(*) || '/' || count(DISTINCT point_id) || '/' || coalesce(min(slot_at)::text, '') || '/' || coalesce(max(slot_at)::text, '') || '/' ||
            coalesce(sum(point_id * extract(epoch FROM slot_at)::bigint % 1000003), 0) || '/' || count(*) FILTER (WHERE status <> 'pending' OR standard <> 'MAYOR') AS s
     FROM dga_submissions`,
  );
  return rows[0]!.s;
}

/**
 * A year of submissions for the DGA points, standards and outcomes mixed as COMPLIANCE_MIX says,
 * generated in SQL (one INSERT … SELECT per standard); then `DgaService.compliance` over the year
 * against the naive report: one query per point and a walk over every owed slot.
 */
async function benchCompliance(c: Container, n: number, say: Progress): Promise<BenchResult[]> {
  const tz = c.config.reportTimezone;
  const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - 365 * DAY_MS);
  const { MAYOR, MEDIO } = COMPLIANCE_MIX.standards;
  await c.db.query(
    `UPDATE catchment_points SET dga_standard = CASE WHEN id % 100 < $1 THEN 'MAYOR' WHEN id % 100 < $2 THEN 'MEDIO' ELSE 'MENOR' END
     WHERE dga_send`,
    [MAYOR, MAYOR + MEDIO],
  );
  const o = COMPLIANCE_MIX.outcomes;
  // Cumulative per-hundred bounds of the outcomes.
  const b1 = o.sent_on_time;
  const b2 = b1 + o.sent_late;
  const b3 = b2 + o.pending;
  const b4 = b3 + o.failed;
  const b5 = b4 + o.needs_attention;
  const t0 = performance.now();
  let inserted = 0;
  for (const [standard, step, unit] of [
    ['MAYOR', '1 hour', 'hour'],
    ['MEDIO', '1 day', 'day'],
    ['MENOR', '1 month', 'month'],
  ] as const) {
    // Local slot labels (wall-clock times in the report zone) turned into instants, as the planner makes them.
    const { rowCount } = await c.db.query(
      `INSERT INTO dga_submissions (point_id, slot_at, standard, status, attempts, next_attempt_at, last_attempt_at, receipt, sent_at, error_code)
       SELECT point_id, slot_at, $4,
              CASE WHEN h < ${b2} THEN 'sent' WHEN h < ${b3} THEN 'pending' WHEN h < ${b4} THEN 'failed' ELSE 'needs_attention' END,
              CASE WHEN h < ${b3} THEN 1 ELSE 3 END,
              CASE WHEN h >= ${b2} AND h < ${b4} THEN slot_at + interval '1 hour' END,
              slot_at + interval '5 minutes',
              CASE WHEN h < ${b2} THEN 'BENCH-' || point_id || '-' || extract(epoch FROM slot_at)::bigint END,
              CASE WHEN h < ${b1} THEN slot_at + interval '5 minutes' WHEN h < ${b2} THEN slot_at + interval '3 days' END,
              CASE WHEN h >= ${b4} THEN 'NO_RECEIPT' END
       FROM (SELECT p.id AS point_id, (l AT TIME ZONE $5) AS slot_at,
                    (p.id * 7919 + extract(epoch FROM l)::bigint / 3600) % 100 AS h
             FROM catchment_points p
             CROSS JOIN generate_series(date_trunc('${unit}', $1::timestamptz AT TIME ZONE $5), $2::timestamptz AT TIME ZONE $5, $3::interval) l
             WHERE p.dga_send AND p.dga_standard = $4) x
       WHERE h < ${b5} AND slot_at >= $1 AND slot_at < $2
       ON CONFLICT (point_id, slot_at) DO NOTHING`,
      [from, to, step, standard, tz],
    );
    inserted += rowCount;
  }
  if (c.db.kind === 'postgres') await c.db.exec('VACUUM ANALYZE dga_submissions');
  say(`scale: ${inserted.toLocaleString('en')} DGA submissions over a year in ${secs(t0)}`);

  const q = { from: from.toISOString(), to: to.toISOString() };
  say('scale: measuring a year of compliance (DgaService.compliance, 5 runs) …');
  await c.dga.compliance(ADMIN, q);
  const fast = await timeMany(5, () => c.dga.compliance(ADMIN, q));
  const report = await c.dga.compliance(ADMIN, q);
  say('scale: measuring the naive compliance report (a query per point, a walk per slot) …');
  const t1 = performance.now();
  const slow = await naive.compliance(c.db, from, to, new Date(), tz);
  const naiveMs = performance.now() - t1;
  say(`scale: compliance totals ${JSON.stringify(report.totals)}; naive ${JSON.stringify(slow)}`);
  const differs = (['due', ...COMPLIANCE_BUCKETS] as const).filter((k) => slow[k] !== report.totals[k]);
  if (differs.length > 0) throw new Error(`compliance disagrees with the naive report on ${differs.join(', ')}`);
  return [
    result(
      `DGA compliance, a year of ${report.points.length.toLocaleString('en')} points (${inserted.toLocaleString('en')} submissions), median of 5`,
      fast.p50,
      'ms',
      SCALE_TARGETS.complianceMs,
      naiveMs,
    ),
  ];
}
