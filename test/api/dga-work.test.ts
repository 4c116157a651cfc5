import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import {
  ADMIN_ACTOR, configureDgaPoint, expectedNumbers, FakeClock, fix2, insertMeasurements, local, WELL_VARIABLES, wellSeries,
} from '../support/dga-fixtures.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../src/dga/simulator.js';

/**
 * A DGA work measured by several meters (production sends point 83 as 83 + 84 + 85): caudal and
 * totalizador are the sums, the level is the designated point's, and a slot is owed only when every
 * meter has data. Expected values are computed from the generated series, without the code under test.
 */
const HOUR = 3_600_000;
const TZ = 'Etc/GMT+4';
let t: TestContext;
let sim: RunningDgaSimulator;
const clock = new FakeClock(Date.parse('2026-06-15T12:07:00Z'));

beforeAll(async () => {
  sim = await startDgaSimulator({ clock, timeZone: TZ });
  t = await createTestContext({ config: { dgaApiUrl: sim.url, reportTimezone: TZ } });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

const patch = (id: number, payload: Record<string, unknown>) => t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${id}`, payload });

describe('a DGA work with several meters', () => {
  it('reports caudal and totalizador summed over its meters and the level of its point; waits for every meter', async () => {
    const { points } = await seedTenant(t, 'obra-83', 3);
    const [p83, p84, p85] = points as [number, number, number];
    const code = 'OB-0604-83';
    await configureDgaPoint(t.c, p83, { code, startDate: '2026-06-15' });
    for (const member of [p84, p85]) await t.c.schemas.setPointSchema(ADMIN_ACTOR, member, { custom_config: WELL_VARIABLES });

    const from = new Date('2026-06-15T10:00:00Z');
    const s83 = wellSeries({ from, to: new Date('2026-06-15T12:05:00Z'), startM3: 1000.4 });
    const s84 = wellSeries({ from, to: new Date('2026-06-15T12:05:00Z'), startM3: 52_000.7 });
    // Point 85's logger went quiet after 10:25: for 12:00 its last reading is older than 90 min.
    const s85 = wellSeries({ from, to: new Date('2026-06-15T10:25:00Z'), startM3: 7.9 });
    await insertMeasurements(t.c.db, p83, s83.all);
    await insertMeasurements(t.c.db, p84, s84.all);
    await insertMeasurements(t.c.db, p85, s85.all);

    for (const member of [p84, p85]) {
      const r = await patch(member, { dga_work_point_id: p83 });
      expect(r.status).toBe(200);
      expect(r.body.dga_work_point_id).toBe(p83);
    }

    const result = await t.c.dgaReporter({ clock, minSpacingMs: 0 }).tick();
    expect(result.outcomes).toEqual(['sent', 'sent', 'data_missing']);
    const got = sim.received(code);
    expect(got).toHaveLength(2);
    for (const [i, slot] of [Date.parse('2026-06-15T10:00:00Z'), Date.parse('2026-06-15T11:00:00Z')].entries()) {
      const n = [s83, s84, s85].map((s) => expectedNumbers(s, slot, HOUR));
      const { fecha, hora } = local(slot);
      expect((got[i]!.body as any).medicionSubterranea).toEqual({
        caudal: fix2(n.reduce((a, x) => a + x.caudal, 0)),
        fechaMedicion: fecha,
        horaMedicion: hora,
        nivelFreaticoDelPozo: fix2(n[0]!.level!),
        totalizador: String(Math.floor(n.reduce((a, x) => a + x.totalizer, 0))),
      });
    }
    const { rows } = await t.c.db.query<{ status: string; error_message: string | null; reading: any }>(
      'SELECT status, error_message, reading FROM dga_submissions WHERE point_id = $1 ORDER BY slot_at',
      [p83],
    );
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'pending']);
    expect(rows[2]!.error_message).toContain(`point ${p85} (same work)`);
    expect(rows[0]!.reading.meters.map((m: any) => Number(m.point_id))).toEqual([p83, p84, p85]);
    // The members never report on their own.
    const own = await t.c.db.query('SELECT 1 FROM dga_submissions WHERE point_id = ANY($1::bigint[])', [[p84, p85]]);
    expect(own.rows).toHaveLength(0);
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  });

  it('refuses a work that is not one, naming dga_work_point_id', async () => {
    const mine = await seedTenant(t, 'obra-mine', 3);
    const other = await seedTenant(t, 'obra-other', 1);
    const [a, b, c] = mine.points as [number, number, number];
    const field = async (id: number, payload: Record<string, unknown>) => {
      const r = await patch(id, payload);
      expect(r.status).toBe(400);
      return r.body.field;
    };
    expect(await field(a, { dga_work_point_id: a })).toBe('dga_work_point_id');
    expect(await field(a, { dga_work_point_id: other.points[0] })).toBe('dga_work_point_id');
    expect(await field(a, { dga_work_point_id: 2_000_000_000 })).toBe('dga_work_point_id');
    expect((await patch(b, { dga_work_point_id: a })).status).toBe(200);
    // No chains: a member cannot be a work, and a work cannot join another.
    expect(await field(c, { dga_work_point_id: b })).toBe('dga_work_point_id');
    expect(await field(a, { dga_work_point_id: c })).toBe('dga_work_point_id');
    // A member does not send on its own.
    await configureDgaPoint(t.c, c, { code: 'OB-0604-99', startDate: '2026-06-15' });
    expect(await field(c, { dga_work_point_id: a })).toBe('dga_work_point_id');
    expect((await patch(b, { dga_work_point_id: null })).body.dga_work_point_id).toBeNull();
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
  });
});
