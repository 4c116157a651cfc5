/**
 * The compliance report answers whole months from tallies the database keeps (migrations/0021) and
 * counts the rest row by row: on random rows written after the zone's tallies were started, in a zone
 * with daylight saving and in the fixed default zone, it equals the row-by-row rule for every period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectReportsEqualRows, expectTalliesExact, seedTallyScenario, type TallyPoint } from '../support/dga-tally-scenario.js';
import { SlotTallyRepository } from '../../src/dga/slot-tally.repository.js';
import { splitByMonths } from '../../src/dga/tally-months.js';
import { owedSlots } from '../../src/dga/compliance.js';

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

    it('answers the inner months of a year from the tallies: the two zone calendars agree but where they must not', async () => {
      const now = new Date();
      const from = new Date(now.getTime() - 365 * 86_400_000);
      const standards = ['MAYOR', 'MEDIO', 'MENOR', 'CAUDALES_MUY_PEQUENOS'] as const;
      const calendar = standards.flatMap((standard) =>
        owedSlots(standard, { from, to: now, startDate: from, now, tz, limit: 1e9 }).map((at) => ({ standard, at })),
      );
      const repo = new SlotTallyRepository(t.c.db);
      const months = await repo.months(tz, standards, calendar, from, now);
      expect(months.length).toBeGreaterThanOrEqual(12);
      // PostgreSQL puts the repeated 23:00 of Santiago's April change on the hour calendar where we keep the
      // first one only: April is counted row by row. No other month differs.
      expect(months.filter((m) => m.differs).map((m) => m.month.slice(5, 7))).toEqual(
        tz === 'America/Santiago' && months.some((m) => m.month.slice(5, 7) === '04') ? ['04'] : [],
      );
      // A calendar missing one slot makes its month differ.
      const missing = await repo.months(tz, standards, calendar.filter((c) => c.at.getTime() !== calendar[100]!.at.getTime()), from, now);
      expect(missing.filter((m) => m.differs).length).toBeGreaterThan(months.filter((m) => m.differs).length);
      const split = splitByMonths({ lower: from.getTime(), upper: now.getTime(), graceFrom: now.getTime() - 3_600_000 + 1 }, months);
      expect(split.months).not.toBeNull();
    });

    it('counts rows written after the zone was started by a second zone back-filled later', async () => {
      const repo = new SlotTallyRepository(t.c.db);
      await repo.keepZone('America/Bogota');
      await expectTalliesExact(t, 'America/Bogota');
    });
  });
}
