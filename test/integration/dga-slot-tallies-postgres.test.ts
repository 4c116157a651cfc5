/**
 * The monthly compliance tallies (migrations/0021) on PostgreSQL: the random scenario of the PGlite test
 * (the report equals the row-by-row rule), and writers racing on one point-month — two transactions
 * holding updates of different slots at once, and many reporters' single-row updates in parallel —
 * never lose or double a count.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectReportsEqualRows, expectTalliesExact, seedTallyScenario, type TallyPoint } from '../support/dga-tally-scenario.js';
import { freshDatabase } from './support.js';

const TZ = 'America/Santiago';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let t: TestContext;
let points: TallyPoint[];

beforeAll(async () => {
  db = await freshDatabase();
  t = await createTestContext({ config: { reportTimezone: TZ, databaseUrl: db.url } });
  points = await seedTallyScenario(t, TZ, 97);
}, 300_000);
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

describe('compliance tallies on PostgreSQL', () => {
  it('equal the row-by-row rule after random writes', async () => {
    await expectTalliesExact(t, TZ);
    await expectReportsEqualRows(t, points, TZ);
  }, 120_000);

  it('stay exact when two transactions update different slots of one point-month at once', async () => {
    const medio = points.find((p) => p.standard === 'MEDIO')!;
    // Two queued slots of one month: both updates add to the same tallies.
    const { rows } = await t.c.db.query<{ id: number }>(
      `WITH e AS (SELECT id, date_trunc('month', slot_at AT TIME ZONE $2) AS m FROM dga_submissions
                  WHERE point_id = $1 AND receipt IS NULL AND sh_dga_is_slot($2, 'MEDIO', slot_at))
       SELECT id FROM e WHERE m = (SELECT m FROM e GROUP BY m HAVING count(*) >= 2 ORDER BY m DESC LIMIT 1) LIMIT 2`,
      [medio.id, TZ],
    );
    expect(rows).toHaveLength(2);
    const a = new pg.Client({ connectionString: db.url });
    const b = new pg.Client({ connectionString: db.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query(`UPDATE dga_submissions SET status = 'sent', receipt = 'A', sent_at = slot_at WHERE id = $1`, [rows[0]!.id]);
      // b's tally upsert waits for a's row lock on the same tally, then adds to a's committed count.
      let bFinished = false;
      const bDone = b.query(`UPDATE dga_submissions SET status = CASE status WHEN 'failed' THEN 'needs_attention' ELSE 'failed' END WHERE id = $1`, [rows[1]!.id]).then(() => (bFinished = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(bFinished).toBe(false);
      await a.query('COMMIT');
      await bDone;
      await b.query('COMMIT');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    await expectTalliesExact(t, TZ);
  });

  it('stay exact under many parallel single-row updates and deletes of one point', async () => {
    const mayor = points.find((p) => p.standard === 'MAYOR')!;
    const { rows } = await t.c.db.query<{ id: number }>(
      'SELECT id FROM dga_submissions WHERE point_id = $1 AND receipt IS NULL ORDER BY slot_at DESC LIMIT 120',
      [mayor.id],
    );
    await Promise.all(
      rows.map((r, i) =>
        i % 3 === 0
          ? t.c.db.query('DELETE FROM dga_submissions WHERE id = $1', [r.id])
          : t.c.db.query(`UPDATE dga_submissions SET status = 'sent', receipt = 'P' || id, sent_at = slot_at + interval '30 minutes' WHERE id = $1`, [r.id]),
      ),
    );
    await expectTalliesExact(t, TZ);
    await expectReportsEqualRows(t, points, TZ);
  }, 120_000);
});
