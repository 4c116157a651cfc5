import type { Db } from '../../src/infra/db/index.js';
import { emptyCounts, owedSlots, ON_TIME_GRACE_MS, type ComplianceCounts } from '../../src/dga/compliance.js';
import type { DgaStandard } from '../../src/dga/types.js';
import { localMidnight } from '../../src/lib/timezone.js';

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

  /**
   * DGA compliance totals of every reporting point over [from, to): one query per point for its
   * submissions, then every owed slot listed and looked up (no counting by arithmetic, no batching).
   */
  async compliance(db: Db, from: Date, to: Date, now: Date, tz: string): Promise<ComplianceCounts> {
    const { rows: points } = await db.query<{ id: number; standard: DgaStandard; start: string }>(
      `SELECT id, dga_standard AS standard, dga_start_date::text AS start FROM catchment_points
       WHERE dga_send AND dga_standard IS NOT NULL AND dga_start_date IS NOT NULL ORDER BY id`,
    );
    const totals = emptyCounts();
    for (const p of points) {
      const { rows } = await db.query<{ slot_at: Date; status: string; sent_at: Date | null }>(
        'SELECT slot_at, status, sent_at FROM dga_submissions WHERE point_id = $1 AND slot_at >= $2 AND slot_at < $3',
        [p.id, from, to],
      );
      const bySlot = new Map(rows.map((r) => [r.slot_at.getTime(), r]));
      const grace = ON_TIME_GRACE_MS[p.standard];
      for (const slot of owedSlots(p.standard, { from, to, startDate: localMidnight(p.start, tz), now, tz, limit: Number.MAX_SAFE_INTEGER })) {
        const t = slot.getTime();
        const row = bySlot.get(t);
        totals.due++;
        if (!row) {
          if (t > now.getTime() - grace) totals.pending++;
          else totals.missing++;
        } else if (row.status === 'sent') {
          if (row.sent_at && row.sent_at.getTime() - t <= grace) totals.sent_on_time++;
          else totals.sent_late++;
        } else if (row.status === 'pending' || row.status === 'sending') totals.pending++;
        else if (row.status === 'failed') totals.failed++;
        else totals.needs_attention++;
      }
    }
    return totals;
  },
};
