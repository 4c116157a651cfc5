import type { Db } from '../infra/db/index.js';
import type { DgaStandard } from './types.js';
import type { SlotTally } from './compliance.js';
import type { Outcomes, TallyMonth } from './tally-months.js';
import { SUPERSEDED } from './submission.repository.js';

/**
 * How the rows of a group of points (one standard, one owed window) are counted: the plan's split
 * (see TallySplit) and its owed window. Points of one plan share it.
 */
export interface TallyPlan {
  standard: DgaStandard;
  /** Owed slots are in [lower, upper]; those at or after graceFrom are still within their grace. */
  lower: Date;
  graceFrom: Date;
  graceMs: number;
  months: { first: string; last: string } | null;
  skip: readonly string[];
  end: Date;
  scan: readonly { from: Date; to: Date }[];
}

/** A point and its plan, by index in the plans passed along. */
export interface PlannedPoint {
  id: number;
  plan: number;
}

/**
 * The compliance report's counting in the database: the monthly tallies the triggers of
 * migrations/0021 keep per report zone, and the rows of the parts of a period they do not answer.
 */
export class SlotTallyRepository {
  constructor(private readonly db: Db) {}

  /**
   * Keeps the tallies of `zone` from now on. The first call in a zone adds it and counts every existing
   * row, with writers held back (SHARE lock) so no row is missed or counted twice; later calls only look.
   * True when this call built them. Run by buildContainer after the migrations for the report zone.
   */
  async keepZone(zone: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM dga_tally_zones WHERE zone = $1', [zone]);
    if (rows.length > 0) return false;
    return this.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE dga_submissions IN SHARE MODE');
      const { rowCount } = await tx.query('INSERT INTO dga_tally_zones (zone) VALUES ($1) ON CONFLICT DO NOTHING', [zone]);
      if (rowCount === 1) await tx.query('SELECT sh_dga_tally_backfill($1)', [zone]);
      return rowCount === 1;
    });
  }

  /**
   * The local months of `zone` that [from, upper] touches, each with the instants it starts and ends
   * at and whether the database's slot calendar of `standards` differs from `calendar` (ours: every
   * slot of each standard in [from, upper]) anywhere in it. The database's slots are the local starts
   * of each standard's periods, so those starts over the period (and a margin) are compared with ours.
   */
  async months(
    zone: string,
    standards: readonly DgaStandard[],
    calendar: readonly { standard: DgaStandard; at: Date }[],
    from: Date,
    upper: Date,
  ): Promise<TallyMonth[]> {
    const { rows } = await this.db.query<TallyMonth>(
      `WITH ours AS (SELECT * FROM unnest($3::text[], $4::timestamptz[]) AS c(standard, at)),
            unit AS (
              SELECT standard, CASE standard WHEN 'MAYOR' THEN 'hour' WHEN 'MEDIO' THEN 'day' ELSE 'month' END AS unit,
                     CASE standard WHEN 'MAYOR' THEN interval '1 hour' WHEN 'MEDIO' THEN interval '1 day' ELSE interval '1 month' END AS step,
                     CASE standard WHEN 'MAYOR' THEN interval '1 day' WHEN 'MEDIO' THEN interval '1 day' ELSE interval '1 month' END AS margin
              FROM unnest($2::text[]) AS s(standard)),
            theirs AS (
              SELECT u.standard, x.at
              FROM unit u
              CROSS JOIN LATERAL generate_series(date_trunc(u.unit, $5::timestamptz AT TIME ZONE $1::text) - u.margin,
                                                 date_trunc(u.unit, $6::timestamptz AT TIME ZONE $1::text) + u.margin, u.step) AS l(label)
              CROSS JOIN LATERAL (SELECT l.label AT TIME ZONE $1::text AS at) x
              WHERE x.at >= $5 AND x.at <= $6 AND sh_dga_is_slot($1, u.standard, x.at)),
            differ AS (
              SELECT DISTINCT date_trunc('month', coalesce(ours.at, theirs.at) AT TIME ZONE $1::text) AS month
              FROM ours FULL JOIN theirs ON theirs.standard = ours.standard AND theirs.at = ours.at
              WHERE ours.at IS NULL OR theirs.at IS NULL)
       SELECT m::text AS month, m AT TIME ZONE $1::text AS lo, (m + interval '1 month') AT TIME ZONE $1::text AS hi,
              m IN (SELECT month FROM differ) AS differs
       FROM generate_series(date_trunc('month', $5::timestamptz AT TIME ZONE $1::text),
                            date_trunc('month', $6::timestamptz AT TIME ZONE $1::text), interval '1 month') AS m
       ORDER BY m`,
      [zone, standards, calendar.map((c) => c.standard), calendar.map((c) => c.at.toISOString()), from, upper],
    );
    return rows;
  }

  /**
   * Per point, the outcomes tallied in its plan's months [first, last] except `skip`, under the plan's
   * standard. `points` name their plan by its index in `plans`; plans without months are not asked for.
   */
  async monthOutcomes(zone: string, plans: readonly TallyPlan[], points: readonly PlannedPoint[]): Promise<Map<number, Outcomes>> {
    if (points.length === 0) return new Map();
    // A probe of the tallies' key per point (the planner would otherwise sort every tally of the zone).
    const { rows } = await this.db.query<Outcomes & { point_id: number | string }>(
      `WITH plan AS (SELECT * FROM unnest($2::text[], $3::timestamp[], $4::timestamp[], $5::text[]) WITH ORDINALITY AS x(standard, first, last, skip, n))
       SELECT p.id AS point_id, x.*
       FROM unnest($6::bigint[], $7::int[]) AS p(id, plan)
       JOIN plan ON plan.n = p.plan + 1
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(t.sent_on_time), 0)::int AS sent_on_time, coalesce(sum(t.sent_late), 0)::int AS sent_late,
                coalesce(sum(t.pending), 0)::int AS pending, coalesce(sum(t.failed), 0)::int AS failed,
                coalesce(sum(t.needs_attention), 0)::int AS needs_attention
         FROM dga_slot_tallies t
         WHERE t.zone = $1 AND t.point_id = p.id AND t.standard = plan.standard AND t.month BETWEEN plan.first AND plan.last
           AND (plan.skip = '' OR NOT (t.month::text = ANY(string_to_array(plan.skip, ','))))) x
       WHERE plan.first IS NOT NULL`,
      [
        zone, plans.map((p) => p.standard), plans.map((p) => p.months?.first ?? null), plans.map((p) => p.months?.last ?? null),
        plans.map((p) => p.skip.join(',')), points.map((p) => p.id), points.map((p) => p.plan),
      ],
    );
    return new Map(rows.map(({ point_id, ...o }) => [Number(point_id), o]));
  }

  /**
   * One pass over the rows of each point in its plan's disjoint slot ranges (`scan`, see TallySplit):
   *
   * - `counted`: `tallySlots` of the owed rows outside the taken months [first, last] except `skip`, or
   *   at/after `end` — an owed row is one in [lower, upper] on the standard's calendar: ours, `calendar`
   *   (every slot of the period [from, upper]), which is the database's in every month not listed as
   *   differing (TallyMonth.differs) and is the one that counts in those.
   * - `subtracted`: the outcomes, as the tallies count them, of the rows of the taken months before
   *   lower or at/after `end` (the database's calendar: a taken month never differs, and outside the
   *   period only the database's rule is at hand).
   */
  async rangeTallies(
    zone: string,
    plans: readonly TallyPlan[],
    points: readonly PlannedPoint[],
    calendar: readonly { standard: DgaStandard; at: Date }[],
    period: { from: Date; upper: Date },
  ): Promise<Map<number, { counted: SlotTally; subtracted: Outcomes }>> {
    const scans = plans.flatMap((p, i) => p.scan.map((r) => ({ plan: i, ...r })));
    if (points.length === 0 || scans.length === 0) return new Map();
    const iso = (d: Date) => d.toISOString();
    // A probe of the rows' key per range (OFFSET 0: a merge join over every row was the planner's other idea).
    // Each row's month and flags computed once (OFFSET 0 keeps the subqueries from being inlined into every
    // count); the database's slot rule only for the rows outside the period, the calendar's hash elsewhere.
    const { rows } = await this.withoutJit((q) => q<Record<keyof SlotTally | 'sent' | `sub_${keyof Outcomes}`, number> & { point_id: number | string }>(
      `WITH plan AS (SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bigint[], $5::timestamp[], $6::timestamp[],
                                          $7::text[], $8::timestamptz[])
                       WITH ORDINALITY AS x(standard, lower, grace_from, grace_ms, first, last, skip, end_at, n)),
            scan AS (SELECT * FROM unnest($9::int[], $10::timestamptz[], $11::timestamptz[]) AS x(plan, range_from, range_to)),
            r AS (SELECT p.id, plan.*, scan.range_from, scan.range_to
                  FROM unnest($12::bigint[], $13::int[]) AS p(id, plan)
                  JOIN plan ON plan.n = p.plan + 1
                  JOIN scan ON scan.plan = p.plan),
            cal AS (SELECT * FROM unnest($14::text[], $15::timestamptz[]) AS c(standard, at))
       SELECT r.id AS point_id,
              count(*) FILTER (WHERE f.counted)::int AS with_row,
              count(*) FILTER (WHERE f.counted AND s.slot_at >= r.grace_from)::int AS recent_with_row,
              count(*) FILTER (WHERE f.counted AND s.status = 'sent')::int AS sent,
              count(*) FILTER (WHERE f.counted AND s.status = 'sent' AND s.sent_at IS NOT NULL
                AND floor(extract(epoch FROM s.sent_at) * 1000) - floor(extract(epoch FROM s.slot_at) * 1000) <= r.grace_ms)::int AS sent_on_time,
              count(*) FILTER (WHERE f.counted AND s.status IN ('pending', 'sending'))::int AS pending,
              count(*) FILTER (WHERE f.counted AND s.status = 'failed')::int AS failed,
              count(*) FILTER (WHERE f.counted AND s.status = 'needs_attention')::int AS needs_attention,
              count(*) FILTER (WHERE f.subtracted AND s.status = 'sent' AND sh_dga_on_time(r.standard, s.slot_at, s.sent_at))::int AS sub_sent_on_time,
              count(*) FILTER (WHERE f.subtracted AND s.status = 'sent' AND NOT sh_dga_on_time(r.standard, s.slot_at, s.sent_at))::int AS sub_sent_late,
              count(*) FILTER (WHERE f.subtracted AND s.status IN ('pending', 'sending'))::int AS sub_pending,
              count(*) FILTER (WHERE f.subtracted AND s.status = 'failed')::int AS sub_failed,
              count(*) FILTER (WHERE f.subtracted AND s.status = 'needs_attention')::int AS sub_needs_attention
       FROM r
       CROSS JOIN LATERAL (
         SELECT s.slot_at, s.status, s.sent_at FROM dga_submissions s
         WHERE s.point_id = r.id AND s.slot_at >= r.range_from AND s.slot_at < r.range_to
         OFFSET 0) s
       LEFT JOIN cal c ON c.standard = r.standard AND c.at = s.slot_at
       CROSS JOIN LATERAL (
         SELECT r.first IS NOT NULL AND m.month BETWEEN r.first AND r.last
                AND (r.skip = '' OR NOT (m.month::text = ANY(string_to_array(r.skip, ',')))) AS taken
         FROM (SELECT date_trunc('month', s.slot_at AT TIME ZONE $16::text) AS month) m
         OFFSET 0) k
       CROSS JOIN LATERAL (
         SELECT (NOT k.taken OR s.slot_at >= r.end_at) AND s.slot_at >= r.lower AND s.slot_at <= $17 AND c.at IS NOT NULL AS counted,
                k.taken AND (s.slot_at < r.lower OR s.slot_at >= r.end_at)
                  AND CASE WHEN s.slot_at >= $18 AND s.slot_at <= $17 THEN c.at IS NOT NULL
                           ELSE sh_dga_is_slot($16, r.standard, s.slot_at) END AS subtracted
         OFFSET 0) f
       GROUP BY r.id`,
      [
        plans.map((p) => p.standard), plans.map((p) => iso(p.lower)), plans.map((p) => iso(p.graceFrom)), plans.map((p) => p.graceMs),
        plans.map((p) => p.months?.first ?? null), plans.map((p) => p.months?.last ?? null), plans.map((p) => p.skip.join(',')),
        plans.map((p) => iso(p.end)), scans.map((r) => r.plan), scans.map((r) => iso(r.from)), scans.map((r) => iso(r.to)),
        points.map((p) => p.id), points.map((p) => p.plan), calendar.map((c) => c.standard), calendar.map((c) => iso(c.at)),
        zone, period.upper, period.from,
      ],
    ));
    return new Map(
      rows.map((r) => [
        Number(r.point_id),
        {
          counted: {
            sent_on_time: r.sent_on_time, sent_late: r.sent - r.sent_on_time, pending: r.pending, failed: r.failed,
            needs_attention: r.needs_attention, with_row: r.with_row, recent_with_row: r.recent_with_row,
          },
          subtracted: {
            sent_on_time: r.sub_sent_on_time, sent_late: r.sub_sent_late, pending: r.sub_pending, failed: r.sub_failed,
            needs_attention: r.sub_needs_attention,
          },
        },
      ]),
    );
  }

  /**
   * Runs a query with JIT compilation off: the scan above is many short index probes whose cost estimate
   * made PostgreSQL compile it, which took longer than the query itself.
   */
  private async withoutJit<T>(fn: (q: Db['query']) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL jit = off');
      return fn((sql, params) => tx.query(sql, params));
    });
  }

  /** Per point, its rows in [from, to) sent and whose data staff corrected since (see SUPERSEDED). */
  async superseded(pointIds: readonly number[], from: Date, to: Date): Promise<Map<number, number>> {
    if (pointIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ point_id: number | string; n: number }>(
      `WITH k AS (SELECT point_id, max(created_at) AS last FROM measurement_corrections
                  WHERE point_id = ANY($1::bigint[]) GROUP BY point_id)
       SELECT s.point_id, count(*)::int AS n
       FROM k JOIN dga_submissions s ON s.point_id = k.point_id AND s.slot_at >= $2 AND s.slot_at < $3 AND s.sent_at < k.last
       WHERE ${SUPERSEDED}
       GROUP BY s.point_id`,
      [pointIds, from, to],
    );
    return new Map(rows.map((r) => [Number(r.point_id), r.n]));
  }
}
