/**
 * The compliance report counts slots in the database (SlotTallyRepository: monthly tallies and rows); these tests
 * hold it to the row-by-row counting it replaced (pointCompliance over every row), on random rows of
 * three standards in a zone with daylight saving, with rows off the calendar, before the start date,
 * outside the period, still within their grace, and sent rows whose data was corrected since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { ADMIN_ACTOR, configureDgaPoint } from '../support/dga-fixtures.js';
import { ON_TIME_GRACE_MS, owedSlots, pointCompliance, type SlotRecord } from '../../src/dga/compliance.js';
import { localMidnight } from '../../src/lib/timezone.js';
import type { DgaStandard } from '../../src/dga/types.js';

const TZ = 'America/Santiago';
const STATUSES = ['sent', 'sent', 'sent', 'pending', 'sending', 'failed', 'needs_attention'] as const;
const HOUR = 3_600_000;

let t: TestContext;
const points: { id: number; standard: DgaStandard; start: string }[] = [];
const rows = new Map<number, (SlotRecord & { superseded: boolean })[]>();

// A deterministic pseudo-random sequence (the same rows every run).
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);

beforeAll(async () => {
  t = await createTestContext({ config: { reportTimezone: TZ } });
  const tenant = await seedTenant(t, 'Tally client', 3);
  const standards: DgaStandard[] = ['MAYOR', 'MEDIO', 'MENOR'];
  for (const [i, standard] of standards.entries()) {
    const id = tenant.points[i]!;
    const start = '2026-02-10';
    await configureDgaPoint(t.c, id, { code: `OB-0701-${i + 1}`, startDate: start, standard });
    points.push({ id, standard, start });
  }
  const now = Date.now();
  const correctionAt = new Date(now - 30 * 86_400_000);
  for (const p of points) {
    const grace = ON_TIME_GRACE_MS[p.standard];
    const slots = owedSlots(p.standard, { from: new Date('2026-01-01T00:00:00Z'), to: new Date(now), startDate: new Date('2026-01-01T00:00:00Z'), now: new Date(now), tz: TZ, limit: 1e9 });
    // Sent exactly at the end of the grace (on time) and a millisecond after it (late): slots of every standard.
    const edge = [Date.parse('2026-06-01T04:00:00Z'), Date.parse('2026-07-01T04:00:00Z')];
    const list: { slot: Date; status: string; sent: Date | null }[] = [
      { slot: new Date(edge[0]!), status: 'sent', sent: new Date(edge[0]! + grace) },
      { slot: new Date(edge[1]!), status: 'sent', sent: new Date(edge[1]! + grace + 1) },
    ];
    for (const slot of slots) {
      if (random() < 0.15) continue; // no row: missing, or pending within the grace
      const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
      list.push({ slot, status, sent: status === 'sent' ? new Date(slot.getTime() + Math.floor(random() * 2 * grace)) : null });
      // Off the calendar (a point whose standard changed): counts for nothing but the superseded count.
      if (random() < 0.02) list.push({ slot: new Date(slot.getTime() + 30 * 60_000), status: 'sent', sent: new Date(slot.getTime() + 31 * 60_000) });
    }
    // Outside every period asked.
    list.push({ slot: new Date('2025-12-01T03:00:00Z'), status: 'sent', sent: new Date('2025-12-01T03:05:00Z') });
    const seen = new Set<number>();
    const unique = list.filter((r) => !seen.has(r.slot.getTime()) && seen.add(r.slot.getTime()));
    list.length = 0;
    list.push(...unique);
    await t.c.db.query(
      `INSERT INTO dga_submissions (point_id, slot_at, standard, status, receipt, sent_at, next_attempt_at)
       SELECT $1, slot, $2, status, CASE WHEN status = 'sent' THEN 'R' || extract(epoch FROM slot)::bigint END, sent, slot
       FROM unnest($3::timestamptz[], $4::text[], $5::timestamptz[]) AS x(slot, status, sent)
       ON CONFLICT DO NOTHING`,
      [p.id, p.standard, list.map((r) => r.slot), list.map((r) => r.status), list.map((r) => r.sent)],
    );
    // Staff corrected March and April after those slots were sent.
    const from = new Date('2026-03-01T00:00:00Z');
    const to = new Date('2026-04-30T00:00:00Z');
    await t.c.db.query(
      `INSERT INTO measurement_corrections (point_id, variable, ts_from, ts_to, action, reason, readings, before, after, created_at)
       VALUES ($1, 'totalizer', $2, $3, 'invalidate', 'meter swap', 1, '[]', '[]', $4)`,
      [p.id, from, to, correctionAt],
    );
    rows.set(
      p.id,
      list.map((r) => ({
        slot_at: r.slot,
        status: r.status as SlotRecord['status'],
        sent_at: r.sent,
        superseded: r.status === 'sent' && r.sent !== null && r.sent < correctionAt && r.slot >= from && r.slot <= to,
      })),
    );
  }
}, 120_000);
afterAll(async () => t.close());

describe('compliance counted in the database', () => {
  // Across both daylight-saving changes of 2026, the start date, and up to now (slots within their grace).
  for (const [label, from, to] of [
    ['a year', '2026-01-01', null],
    ['April, across the change back to winter time', '2026-04-01', '2026-04-10'],
    ['September, across the change to summer time', '2026-09-01', '2026-09-10'],
    ['the last 36 hours', null, null],
  ] as const) {
    it(`equals the row-by-row count: ${label}`, async () => {
      const now = new Date();
      const q = {
        ...(from ? { from } : { from: new Date(now.getTime() - 36 * HOUR).toISOString() }),
        ...(to ? { to } : {}),
      };
      const report = await t.c.dga.compliance(ADMIN_ACTOR, q);
      expect(report.points).toHaveLength(3);
      for (const line of report.points) {
        const p = points.find((x) => x.id === line.point_id)!;
        const period = { from: new Date(report.from), to: new Date(report.to) };
        const inPeriod = rows.get(p.id)!.filter((r) => r.slot_at >= period.from && r.slot_at < period.to);
        const expected = pointCompliance({
          standard: p.standard, startDate: localMidnight(p.start, TZ), ...period, now: new Date(report.generated_at), tz: TZ, submissions: inPeriod,
        });
        const { due, sent_on_time, sent_late, pending, failed, needs_attention, missing } = line;
        expect({ due, sent_on_time, sent_late, pending, failed, needs_attention, missing }, `${p.standard} ${label}`).toEqual(expected);
        expect(line.receipted_with_superseded_data, `${p.standard} ${label}`).toBe(inPeriod.filter((r) => r.superseded).length);
      }
      // The rows say something: every bucket is used somewhere over the year.
      if (label === 'a year') {
        for (const k of ['sent_on_time', 'sent_late', 'pending', 'failed', 'needs_attention', 'missing'] as const) expect(report.totals[k]).toBeGreaterThan(0);
        expect(report.points.some((l) => l.receipted_with_superseded_data > 0)).toBe(true);
      }
    });
  }
});
