/**
 * SlotPlanner.planAll plans a group of points with one insert; these tests hold it to planning the
 * same points one at a time (planPoints of each alone): the same rows, standards and counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { ADMIN_ACTOR, configureDgaPoint, FakeClock, insertMeasurements, wellSeries, type DgaPointSettings } from '../support/dga-fixtures.js';
import { SlotPlanner } from '../../src/dga/slot.planner.js';
import { DgaPointRepository } from '../../src/dga/dga-point.repository.js';
import { SubmissionRepository } from '../../src/dga/submission.repository.js';
import { DEFAULT_MAX_BACKFILL_MS } from '../../src/dga/slots.js';

let t: TestContext;
let seq = 1;
const clock = new FakeClock(Date.parse('2026-06-11T18:07:00Z'));

async function dgaPoint(settings: Partial<DgaPointSettings> & { startDate: string }, from: string | null): Promise<number> {
  const { points } = await seedTenant(t, `planner-${seq}`, 1);
  const id = points[0]!;
  await configureDgaPoint(t.c, id, { code: `OB-0603-${seq++}`, ...settings });
  if (from) await insertMeasurements(t.c.db, id, wellSeries({ from: new Date(from), to: new Date('2026-06-11T18:05:00Z') }).all);
  return id;
}

function planner(): SlotPlanner {
  return new SlotPlanner({
    points: new DgaPointRepository(t.c.db),
    submissions: new SubmissionRepository(t.c.db),
    config: { tz: t.c.config.reportTimezone, variables: (id) => t.c.schemas.variables(id), variablesMany: (ids) => t.c.schemas.variablesMany(ids), password: (enc) => t.c.secrets.decrypt(enc) },
    logger: t.c.logger,
    clock,
    maxBackfill: DEFAULT_MAX_BACKFILL_MS,
  });
}

const snapshot = async () =>
  (await t.c.db.query<{ point_id: number; slot_at: Date; standard: string; status: string }>(
    'SELECT point_id, slot_at, standard, status FROM dga_submissions ORDER BY point_id, slot_at',
  )).rows.map((r) => `${r.point_id} ${r.slot_at.toISOString()} ${r.standard} ${r.status}`);

let planned: number;
let late: number;
beforeAll(async () => {
  t = await createTestContext();
  await dgaPoint({ startDate: '2026-06-11' }, '2026-06-11T09:00:00Z');
  await dgaPoint({ startDate: '2026-06-01', type: 'SUPERFICIAL' }, '2026-06-11T15:30:00Z');
  await dgaPoint({ startDate: '2026-06-05', standard: 'MEDIO' }, '2026-06-08T04:00:00Z');
  // Already planned from 14:00: older data arrived since, so the hours before are planned too.
  late = await dgaPoint({ startDate: '2026-06-11' }, '2026-06-11T06:00:00Z');
  await t.c.db.query(`INSERT INTO dga_submissions (point_id, slot_at, standard) VALUES ($1, '2026-06-11T14:00:00Z', 'MAYOR')`, [late]);
  await dgaPoint({ startDate: '2026-06-11' }, null); // no data: owes nothing yet
  // Sending on but without variables: cannot report, plans nothing.
  const { points } = await seedTenant(t, 'planner-novars', 1);
  await t.c.points.update(ADMIN_ACTOR, points[0]!, {
    dga_send: true, dga_standard: 'MAYOR', dga_type: 'SUBTERRANEO', dga_code: 'OB-0603-99', dga_informant_rut: '20999888-2',
    dga_password: 'x', dga_company_rut: '77555666-8', dga_start_date: '2026-06-01',
  });
});
afterAll(async () => t.close());

describe('DGA planning in groups', () => {
  it('plans the same rows as planning each point alone', async () => {
    planned = await planner().planAll();
    const together = await snapshot();
    expect(planned).toBe(together.length - 1); // all but the row that was already there
    expect(new Set(together.map((r) => r.split(' ')[0])).size).toBe(4);
    expect(together.some((r) => r.includes(' MEDIO '))).toBe(true);

    await t.c.db.query(`DELETE FROM dga_submissions WHERE NOT (point_id = $1 AND slot_at = '2026-06-11T14:00:00Z')`, [late]);
    const p = planner();
    let alone = 0;
    for (const point of await new DgaPointRepository(t.c.db).sendingPoints()) alone += await p.planPoints([point]);
    expect(alone).toBe(planned);
    expect(await snapshot()).toEqual(together);
  });

  it('plans nothing more on a second pass', async () => {
    expect(await planner().planAll()).toBe(0);
  });
});
