import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectedMeasurement, FakeClock, insertMeasurements, local, wellSeries, type WellSeries } from '../support/dga-fixtures.js';
import { seedDemo } from '../../src/demo/seed.js';
import { DgaReporter } from '../../src/dga/reporter.service.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../src/dga/simulator.js';

/**
 * The demo's DGA configuration as seeded (informantes, company RUTs, códigos de obra, MAYOR and MEDIO,
 * the providers' templates) reports through the simulator: every request of every DGA point is
 * checked field by field.
 */
const HOUR = 3_600_000;
const TZ = 'Etc/GMT+4';
const clock = new FakeClock(Date.parse('2026-06-21T15:07:00Z'));
let t: TestContext;
let sim: RunningDgaSimulator;

beforeAll(async () => {
  sim = await startDgaSimulator({ clock, timeZone: TZ });
  t = await createTestContext({ config: { dgaApiUrl: sim.url, reportTimezone: TZ } });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('demo data → reporter → DGA simulator', () => {
  it('reports every demo DGA point with correct payloads and stores every receipt', async () => {
    await seedDemo(t.c, clock.now());
    const { rows: points } = await t.c.db.query<{ id: number; dga_code: string; dga_standard: string; dga_informant_rut: string; dga_company_rut: string; title: string }>(
      'SELECT id, dga_code, dga_standard, dga_informant_rut, dga_company_rut, title FROM catchment_points WHERE dga_send ORDER BY id',
    );
    const all = await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM catchment_points');
    expect(points.length * 3).toBeGreaterThanOrEqual(all.rows[0]!.n);
    expect(points.filter((p) => p.dga_standard === 'MAYOR').length).toBeGreaterThan(points.length / 2);

    const data = new Map<number, WellSeries>();
    for (const [i, p] of points.entries()) {
      const daily = p.dga_standard === 'MEDIO';
      const series = wellSeries({
        from: new Date(daily ? '2026-06-20T04:00:00Z' : '2026-06-21T12:00:00Z'),
        to: new Date('2026-06-21T15:05:00Z'),
        stepMs: daily ? 10 * 60_000 : 5 * 60_000,
        startM3: 10_000 + i * 777.777,
      });
      data.set(p.id, series);
      await insertMeasurements(t.c.db, p.id, series.all);
    }

    const reporter = new DgaReporter(
      {
        db: t.c.db,
        secrets: t.c.secrets,
        logger: t.c.logger,
        metrics: t.c.metrics,
        variablesConfig: async (id) => (await t.c.schemas.mergedConfig(id)).merged_config,
        dgaApiUrl: sim.url,
        tz: TZ,
      },
      { clock, minSpacingMs: 0 },
    );
    const result = await reporter.tick();
    const expectedSlots = (p: { dga_standard: string }) =>
      p.dga_standard === 'MEDIO'
        ? [Date.parse('2026-06-20T04:00:00Z'), Date.parse('2026-06-21T04:00:00Z')]
        : [0, 1, 2, 3].map((h) => Date.parse('2026-06-21T12:00:00Z') + h * HOUR);
    const total = points.reduce((n, p) => n + expectedSlots(p).length, 0);
    expect(result.outcomes).toEqual(Array(total).fill('sent'));

    const sentAt = local(clock.now().getTime());
    for (const p of points) {
      const got = sim.received(p.dga_code);
      const slots = expectedSlots(p);
      expect(got, p.title).toHaveLength(slots.length);
      for (const [i, slot] of slots.entries()) {
        const req = got[i]!;
        expect(req.path).toBe('/mediciones/subterraneas');
        expect(req.headers['codigoobra']).toBe(p.dga_code);
        expect(req.headers['timestamporigen']).toBe(`${sentAt.fecha}T${sentAt.hora}-0000`);
        expect(req.body).toEqual({
          autenticacion: { password: 'demo', rutEmpresa: p.dga_company_rut, rutUsuario: p.dga_informant_rut },
          medicionSubterranea: expectedMeasurement(data.get(p.id)!, slot, p.dga_standard === 'MEDIO' ? 24 * HOUR : HOUR, true),
        });
        expect(req.response?.statusCode).toBe(200);
      }
    }
    const { rows } = await t.c.db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM dga_submissions GROUP BY status');
    expect(rows).toEqual([{ status: 'sent', n: total }]);
  });
});
