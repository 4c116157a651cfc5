/**
 * The compliance tallies of the report zone are kept from the moment someone asks once: buildContainer
 * asks with the migrations, so its reports never ask again; a service built without that (a container
 * opened with migrate: false) asks at its first report and then counts from the tallies it started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectReportsEqualRows, expectTalliesExact, seedTallyScenario, type TallyPoint } from '../support/dga-tally-scenario.js';
import { ADMIN_ACTOR } from '../support/dga-fixtures.js';
import { DgaService } from '../../src/dga/dga.service.js';
import { DgaPointRepository } from '../../src/dga/dga-point.repository.js';
import { SlotTallyRepository } from '../../src/dga/slot-tally.repository.js';
import { SubmissionRepository } from '../../src/dga/submission.repository.js';

const TZ = 'America/Santiago';
let t: TestContext;
let points: TallyPoint[];

beforeAll(async () => {
  t = await createTestContext({ config: { reportTimezone: TZ } });
  points = await seedTallyScenario(t, TZ, 23);
}, 240_000);
afterAll(async () => t?.close());

const keptZones = async () => (await t.c.db.query<{ zone: string }>('SELECT zone FROM dga_tally_zones ORDER BY zone')).rows.map((r) => r.zone);

/** The zone no longer kept, its tallies gone (as before the first report of a container without migrations). */
async function forgetZone(): Promise<void> {
  await t.c.db.query('DELETE FROM dga_slot_tallies WHERE zone = $1', [TZ]);
  await t.c.db.query('DELETE FROM dga_tally_zones WHERE zone = $1', [TZ]);
}

describe('keeping the report zone', () => {
  it('is done by the container with its migrations, not by its reports', async () => {
    const fresh = await createTestContext({ config: { reportTimezone: TZ } });
    try {
      const zones = () => fresh.c.db.query<{ zone: string }>('SELECT zone FROM dga_tally_zones').then((r) => r.rows.map((z) => z.zone));
      expect(await zones()).toEqual([TZ]);
      await fresh.c.db.query('DELETE FROM dga_tally_zones WHERE zone = $1', [TZ]);
      await fresh.c.dga.compliance(ADMIN_ACTOR, {});
      await fresh.c.dga.compliance(ADMIN_ACTOR, {});
      expect(await zones()).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('is done by the first report of a service not told the zone is kept, and then counts right', async () => {
    await forgetZone();
    const dga = new DgaService({
      submissions: new SubmissionRepository(t.c.db),
      tallies: new SlotTallyRepository(t.c.db),
      points: new DgaPointRepository(t.c.db),
      tz: TZ,
      variables: (id) => t.c.schemas.variables(id),
    });
    await dga.compliance(ADMIN_ACTOR, {});
    expect(await keptZones()).toEqual([TZ]);
    await expectTalliesExact(t, TZ);
    // The tallies it started are the ones every report counts from (the container's service does not keep zones).
    await expectReportsEqualRows(t, points, TZ);
  });
});
