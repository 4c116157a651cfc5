/**
 * The compliance report's fast path (monthly tallies of migrations/0021, kept by the trigger of 0022; rows for
 * the rest) against the row-by-row rule (pointCompliance over every row), on random rows written the
 * ways the product writes them: bulk and single inserts, INSERT … ON CONFLICT DO UPDATE, status and
 * send-time updates, slots moved, rows deleted. Shared by the PGlite API test and the PostgreSQL
 * services test.
 */
import { expect } from 'vitest';
import type { TestContext } from './context.js';
import { seedTenant } from './context.js';
import { ADMIN_ACTOR, configureDgaPoint } from './dga-fixtures.js';
import { ON_TIME_GRACE_MS, owedSlots, pointCompliance, type SlotRecord } from '../../src/dga/compliance.js';
import { formatLocal, localMidnight, offsetMs } from '../../src/lib/timezone.js';
import type { DgaStandard } from '../../src/dga/types.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const STATUSES = ['sent', 'sent', 'sent', 'pending', 'sending', 'failed', 'needs_attention'] as const;

export interface TallyPoint {
  id: number;
  standard: DgaStandard;
  start: string;
}

/** A deterministic pseudo-random sequence. */
export function randomOf(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

const localDate = (ms: number, tz: string) => formatLocal(new Date(ms), tz).date;

/**
 * Six points (one per standard, start dates mid-month, and two more sharing standard and start with the first two), the report's zone kept before any row exists
 * (so every count comes from the triggers), then a year and more of random rows.
 */
export async function seedTallyScenario(t: TestContext, tz: string, seed: number): Promise<TallyPoint[]> {
  const random = randomOf(seed);
  const tenant = await seedTenant(t, `Tally ${seed}`, 6);
  const now = Date.now();
  // The last two share standard and start date with the first two: the report works such points out as one
  // group (one window, one calendar), and each must still get its own counts.
  const standards: DgaStandard[] = ['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS', 'MAYOR', 'MEDIO'];
  const points: TallyPoint[] = [];
  for (const [i, standard] of standards.entries()) {
    const start = localDate(now - (300 + (i % 4) * 37) * DAY, tz);
    await configureDgaPoint(t.c, tenant.points[i]!, { code: `OB-0702-${seed % 1000}${i}`, startDate: start, standard });
    points.push({ id: tenant.points[i]!, standard, start });
  }
  await t.c.dga.compliance(ADMIN_ACTOR, {});

  const begin = new Date(now - 420 * DAY);
  for (const p of points) {
    const grace = ON_TIME_GRACE_MS[p.standard];
    const slots = owedSlots(p.standard, { from: begin, to: new Date(now + 3 * DAY), startDate: begin, now: new Date(now + 3 * DAY), tz, limit: 1e9 });
    const seen = new Set<number>();
    const rows: { slot: number; status: string; sent: number | null }[] = [];
    const add = (slot: number) => {
      if (seen.has(slot)) return;
      seen.add(slot);
      const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
      const delays = [grace, grace + 1, grace - 1, Math.floor(random() * 2 * grace), null];
      const delay = delays[Math.floor(random() * delays.length)]!;
      rows.push({ slot, status, sent: status === 'sent' && delay !== null ? slot + delay : null });
    };
    for (const s of slots) {
      if (random() < 0.85) add(s.getTime());
      // Off this standard's calendar: the next local hours (on the hourly calendar only), and off the grid.
      if (random() < 0.03) add(s.getTime() + HOUR);
      if (random() < 0.01) add(s.getTime() + 7 * 60_000);
    }
    // Hours around each offset change (repeated and skipped local times), on no calendar but the hourly one.
    for (let h = begin.getTime(); h < now; h += HOUR) {
      if (offsetMs(h, tz) === offsetMs(h + HOUR, tz)) continue;
      for (let k = -30; k < 30; k++) if (random() < 0.5) add(Math.floor(h / HOUR) * HOUR + k * HOUR);
    }
    // Bulk statements of random sizes, some single rows.
    for (let i = 0; i < rows.length; ) {
      const n = random() < 0.2 ? 1 : 1 + Math.floor(random() * 800);
      await insertRows(t, p, rows.slice(i, i + n));
      i += n;
    }
  }
  await mutate(t, points, random, now);
  return points;
}

async function insertRows(t: TestContext, p: TallyPoint, rows: readonly { slot: number; status: string; sent: number | null }[]) {
  await t.c.db.query(
    `INSERT INTO dga_submissions (point_id, slot_at, standard, status, receipt, sent_at, next_attempt_at)
     SELECT $1, slot, $2, status, CASE WHEN status = 'sent' THEN 'R' || extract(epoch FROM slot)::bigint END, sent, slot
     FROM unnest($3::timestamptz[], $4::text[], $5::timestamptz[]) AS x(slot, status, sent)`,
    [p.id, p.standard, rows.map((r) => new Date(r.slot)), rows.map((r) => r.status), rows.map((r) => (r.sent === null ? null : new Date(r.sent)))],
  );
}

/** What the reporter, the planner, an import and an operator do to rows afterwards. */
async function mutate(t: TestContext, points: readonly TallyPoint[], random: () => number, now: number) {
  const db = t.c.db;
  for (let round = 0; round < 40; round++) {
    const p = points[Math.floor(random() * points.length)]!;
    const grace = ON_TIME_GRACE_MS[p.standard];
    const { rows } = await db.query<{ id: number; slot_at: Date }>(
      'SELECT id, slot_at FROM dga_submissions WHERE point_id = $1 ORDER BY random() LIMIT $2',
      [p.id, 1 + Math.floor(random() * 300)],
    );
    const ids = rows.map((r) => r.id);
    switch (round % 6) {
      case 0: // the reporter: claimed, then sent (on time or late), one row per statement
        for (const r of rows.slice(0, 20)) {
          await db.query(`UPDATE dga_submissions SET status = 'sending', lease_until = now() WHERE id = $1 AND receipt IS NULL`, [r.id]);
          const delay = [grace, grace + 1, 1, 3 * grace][Math.floor(random() * 4)]!;
          await db.query(
            `UPDATE dga_submissions SET status = 'sent', receipt = 'X' || id, sent_at = slot_at + $2 * interval '1 millisecond'
             WHERE id = $1 AND receipt IS NULL`,
            [r.id, delay],
          );
        }
        break;
      case 1: // a bulk status change
        await db.query(
          `UPDATE dga_submissions SET status = $2, receipt = NULL, sent_at = NULL, next_attempt_at = slot_at
           WHERE id = ANY($1::bigint[]) AND receipt IS NULL`,
          [ids, ['failed', 'needs_attention', 'pending'][round % 3]],
        );
        break;
      case 2: // send times corrected, receipts kept
        await db.query(
          `UPDATE dga_submissions SET sent_at = sent_at + $2 * interval '1 millisecond' WHERE id = ANY($1::bigint[]) AND status = 'sent'`,
          [ids, random() < 0.5 ? 1 : -1],
        );
        break;
      case 3: // slots moved by an hour where that slot is free
        await db.query(
          `UPDATE dga_submissions s SET slot_at = s.slot_at + $2 * interval '1 hour'
           WHERE s.id = ANY($1::bigint[])
             AND NOT EXISTS (SELECT 1 FROM dga_submissions o WHERE o.point_id = s.point_id AND o.slot_at = s.slot_at + $2 * interval '1 hour')`,
          [ids.slice(0, 1), random() < 0.5 ? 1 : -1],
        );
        break;
      case 4: // deleted, in bulk and one by one
        await db.query('DELETE FROM dga_submissions WHERE id = ANY($1::bigint[])', [ids.slice(0, Math.ceil(ids.length / 3))]);
        for (const id of ids.slice(-3)) await db.query('DELETE FROM dga_submissions WHERE id = $1', [id]);
        break;
      case 5: // an import: receipts for queued slots, new slots inserted
        await db.query(
          `INSERT INTO dga_submissions AS d (point_id, slot_at, standard, status, receipt, sent_at)
           SELECT $1, slot, $2, 'sent', 'L' || extract(epoch FROM slot)::bigint, slot + interval '10 days'
           -- DISTINCT: the extra random slot may be one of the rows' (one statement may not update a row twice).
           FROM (SELECT DISTINCT slot FROM unnest($3::timestamptz[]) AS u(slot)) AS x
           ON CONFLICT (point_id, slot_at) DO UPDATE SET status = 'sent', receipt = EXCLUDED.receipt, sent_at = EXCLUDED.sent_at
           WHERE d.receipt IS NULL`,
          [p.id, p.standard, [...rows.map((r) => r.slot_at), new Date(Math.floor((now - random() * 200 * DAY) / HOUR) * HOUR)]],
        );
        break;
    }
  }
}

/** Local dates of the periods asked: a year, whole months, mid-month to mid-month, up to now, short ones. */
export function tallyPeriods(tz: string): { label: string; from?: string; to?: string }[] {
  const now = Date.now();
  const d = (days: number) => localDate(now - days * DAY, tz);
  const monthStart = (days: number) => `${d(days).slice(0, 7)}-01`;
  return [
    { label: 'the last 7 days' },
    { label: 'a year up to now', from: new Date(now - 365 * DAY).toISOString() },
    { label: '366 local days', from: d(366), to: d(0) },
    { label: 'whole months', from: monthStart(250), to: monthStart(40) },
    { label: 'mid-month to mid-month', from: `${monthStart(230).slice(0, 8)}15`, to: `${monthStart(20).slice(0, 8)}17` },
    { label: 'a mid-month to now', from: `${monthStart(130).slice(0, 8)}17` },
    { label: 'the last 40 days', from: d(40) },
    { label: 'before any start date', from: d(400), to: d(380) },
  ];
}

/** Every period's report equals pointCompliance over the rows as they are now, point by point. */
export async function expectReportsEqualRows(t: TestContext, points: readonly TallyPoint[], tz: string): Promise<void> {
  const { rows } = await t.c.db.query<SlotRecord & { point_id: number | string }>(
    'SELECT point_id, slot_at, status, sent_at FROM dga_submissions WHERE point_id = ANY($1::bigint[])',
    [points.map((p) => p.id)],
  );
  for (const period of tallyPeriods(tz)) {
    const report = await t.c.dga.compliance(ADMIN_ACTOR, { from: period.from, to: period.to });
    const bounds = { from: new Date(report.from), to: new Date(report.to) };
    for (const p of points) {
      const line = report.points.find((l) => l.point_id === p.id);
      expect(line, `${p.standard}, ${period.label}`).toBeDefined();
      const expected = pointCompliance({
        standard: p.standard, startDate: localMidnight(p.start, tz), ...bounds, now: new Date(report.generated_at), tz,
        submissions: rows.filter((r) => Number(r.point_id) === p.id && r.slot_at >= bounds.from && r.slot_at < bounds.to),
      });
      const { due, sent_on_time, sent_late, pending, failed, needs_attention, missing } = line!;
      expect({ due, sent_on_time, sent_late, pending, failed, needs_attention, missing }, `${p.standard}, ${period.label}`).toEqual(expected);
    }
  }
}

/** The tallies the triggers kept equal the tallies counted afresh from the rows. */
export async function expectTalliesExact(t: TestContext, tz: string): Promise<void> {
  const { rows } = await t.c.db.query<{ n: number }>(
    `WITH kept AS (
       SELECT point_id, standard, month, sent_on_time, sent_late, pending, failed, needs_attention FROM dga_slot_tallies
       WHERE zone = $1 AND (sent_on_time, sent_late, pending, failed, needs_attention) <> (0, 0, 0, 0, 0)),
     fresh AS (
       SELECT s.point_id, o.standard, o.month, sum(o.sent_on_time)::int, sum(o.sent_late)::int, sum(o.pending)::int,
              sum(o.failed)::int, sum(o.needs_attention)::int
       FROM dga_submissions s CROSS JOIN LATERAL sh_dga_slot_outcomes($1, s.slot_at, s.status, s.sent_at) o
       GROUP BY 1, 2, 3)
     SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM fresh) a)::int
          + (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT SELECT * FROM kept) b)::int AS n`,
    [tz],
  );
  expect(rows[0]!.n).toBe(0);
  const { rows: kept } = await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dga_slot_tallies WHERE zone = $1', [tz]);
  expect(kept[0]!.n).toBeGreaterThan(0);
}
