/**
 * The compliance report answers whole months from tallies the database keeps (migrations/0021) and
 * counts the rest row by row: on random rows written after the zone's tallies were started, in a zone
 * with daylight saving and in the fixed default zone, it equals the row-by-row rule for every period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectReportsEqualRows, expectTalliesExact, seedTallyScenario, type TallyPoint } from '../support/dga-tally-scenario.js';
import { ADMIN_ACTOR } from '../support/dga-fixtures.js';
import { SlotTallyRepository } from '../../src/dga/slot-tally.repository.js';

for (const tz of ['America/Santiago', 'Etc/GMT+4']) {
  describe(`compliance from monthly tallies, ${tz}`, () => {
    let t: TestContext;
    let points: TallyPoint[];
    beforeAll(async () => {
      t = await createTestContext({ config: { reportTimezone: tz } });
      points = await seedTallyScenario(t, tz, tz.length * 7);
    }, 240_000);
    afterAll(async () => t?.close());

    it('keeps the tallies exact through inserts, upserts, updates, moves and deletes', async () => {
      await expectTalliesExact(t, tz);
    });

    it('equals the row-by-row rule for every period and point', async () => {
      await expectReportsEqualRows(t, points, tz);
    }, 120_000);

    it('answers the inner months of a year from the tallies', async () => {
      const now = new Date();
      const from = new Date(now.getTime() - 365 * 86_400_000);
      const months = await new SlotTallyRepository(t.c.db).months(tz, ['MAYOR'], [], from, now);
      expect(months.length).toBeGreaterThanOrEqual(12);
      // With no calendar of ours to compare, every month holding one of the database's hourly slots differs.
      expect(months.every((m) => m.differs)).toBe(true);
      const report = await t.c.dga.compliance(ADMIN_ACTOR, { from: from.toISOString() });
      expect(report.totals.due).toBeGreaterThan(0);
    });

    it('counts rows written after the zone was started by a second zone back-filled later', async () => {
      const repo = new SlotTallyRepository(t.c.db);
      await repo.keepZone('America/Bogota');
      await expectTalliesExact(t, 'America/Bogota');
    });
  });
}
