import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/infra/logger.js';
import type { DgaReporter } from '../../src/dga/reporter.service.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../src/dga/simulator.js';
import { SubmissionRepository } from '../../src/dga/submission.repository.js';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { configureDgaPoint, failReceiptWrites, FakeClock, insertMeasurements, wellSeries } from '../support/dga-fixtures.js';
import { freshDatabase, SECRET_KEY } from './support.js';

/**
 * Several reporter processes on one PostgreSQL database (each its own connection pool, as separate
 * processes would have): every slot reaches DGA exactly once.
 */
const TZ = 'Etc/GMT+4';
let db: Awaited<ReturnType<typeof freshDatabase>>;
let t: TestContext;
let sim: RunningDgaSimulator;
const others: Container[] = [];
const clock = new FakeClock(Date.parse('2026-06-20T23:07:00Z'));

beforeAll(async () => {
  db = await freshDatabase();
  sim = await startDgaSimulator({ clock, timeZone: TZ });
  t = await createTestContext({ config: { databaseUrl: db.url, secretKey: SECRET_KEY, embedded: false, dgaApiUrl: sim.url, reportTimezone: TZ } });
  for (let i = 0; i < 2; i++) {
    others.push(await buildContainer(t.c.config, { logger: createLogger('silent'), migrate: false }));
  }
});

afterAll(async () => {
  for (const c of others) await c.close();
  await t?.close();
  await sim?.close();
  await db?.drop();
});

function reporterOn(c: Container, owner: string): DgaReporter {
  return c.dgaReporter({ clock, owner, minSpacingMs: 0 });
}

describe('DGA reporter on PostgreSQL', () => {
  it('concurrent claims from separate pools never take the same row', async () => {
    const { points } = await seedTenant(t, 'claims', 1);
    const pointId = points[0]!;
    await configureDgaPoint(t.c, pointId, { code: 'OB-0501-1', startDate: '2026-06-01' });
    const slots = Array.from({ length: 60 }, (_, i) => new Date(Date.parse('2026-06-18T00:00:00Z') + i * 3_600_000));
    await new SubmissionRepository(t.c.db).plan(pointId, 'MAYOR', slots, clock.now());
    const repos = [t.c, ...others].map((c) => new SubmissionRepository(c.db));
    const claimed: number[] = [];
    await Promise.all(
      repos.flatMap((repo) =>
        Array.from({ length: 4 }, async () => {
          for (;;) {
            const row = await repo.claim(clock.now(), 60_000, 'claimer', randomUUID());
            if (!row) return;
            claimed.push(row.id);
          }
        }),
      ),
    );
    expect(claimed).toHaveLength(60);
    expect(new Set(claimed).size).toBe(60);
    await t.c.db.query('UPDATE catchment_points SET dga_send = false WHERE id = $1', [pointId]);
  });

  it('three reporters send every slot exactly once, and a restarted one sends nothing', async () => {
    const { points } = await seedTenant(t, 'three', 2);
    const codes = ['OB-0502-1', 'OB-0502-2'];
    for (const [i, pointId] of points.entries()) {
      await configureDgaPoint(t.c, pointId, { code: codes[i]!, startDate: '2026-06-20' });
      const data = wellSeries({ from: new Date('2026-06-20T04:00:00Z'), to: new Date('2026-06-20T23:05:00Z'), startM3: 1000 * (i + 1) });
      await insertMeasurements(t.c.db, pointId, data.all);
    }
    const reporters = [t.c, ...others].map((c, i) => reporterOn(c, `r${i}`));
    const results = await Promise.all(reporters.map((r) => r.tick()));
    const outcomes = results.flatMap((r) => r.outcomes);
    expect(outcomes).toEqual(Array(40).fill('sent'));
    expect(results.filter((r) => r.outcomes.length > 0).length).toBeGreaterThan(1);

    for (const code of codes) {
      const got = sim.received(code);
      expect(got).toHaveLength(20);
      const slots = got.map((r) => JSON.stringify((r.body as any).medicionSubterranea.horaMedicion));
      expect(new Set(slots).size).toBe(20);
      expect(got.every((r) => r.response?.statusCode === 200)).toBe(true);
    }
    const { rows } = await t.c.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM dga_submissions WHERE point_id = ANY($1::bigint[]) GROUP BY status',
      [points],
    );
    expect(rows).toEqual([{ status: 'sent', n: 40 }]);

    const restarted = reporterOn(others[0]!, 'r-restarted');
    clock.advance(10 * 60_000);
    expect((await restarted.tick()).outcomes).toEqual([]);
    expect(sim.received().filter((r) => codes.includes(r.codigoObra ?? ''))).toHaveLength(40);
  });

  it('recording a receipt fails once after DGA answered: the receipt is still stored and the slot is not sent again', async () => {
    await t.c.db.query('UPDATE catchment_points SET dga_send = false');
    clock.set('2026-06-21T12:07:00Z');
    const { points } = await seedTenant(t, 'receipt-fault', 1);
    const pointId = points[0]!;
    const code = 'OB-0503-1';
    await configureDgaPoint(t.c, pointId, { code, startDate: '2026-06-21' });
    await insertMeasurements(t.c.db, pointId, wellSeries({ from: new Date('2026-06-21T10:00:00Z'), to: new Date('2026-06-21T12:05:00Z') }).all);
    await failReceiptWrites(t.c.db, pointId, 1);

    const reporters = [t.c, ...others].map((c, i) => c.dgaReporter({ clock, owner: `f${i}`, minSpacingMs: 0, receiptRetryMs: [20, 20, 20] }));
    const outcomes = (await Promise.all(reporters.map((r) => r.tick()))).flatMap((r) => r.outcomes);
    expect(outcomes).toEqual(['sent', 'sent', 'sent']);
    const got = sim.received(code);
    expect(got).toHaveLength(3);
    const { rows } = await t.c.db.query<{ status: string; receipt: string; attempts: number }>(
      'SELECT status, receipt, attempts FROM dga_submissions WHERE point_id = $1 ORDER BY slot_at',
      [pointId],
    );
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['sent', 1], ['sent', 1]]);
    // Reporters race for the slots, so DGA may see them in any order: compare the sets.
    expect(rows.map((r) => r.receipt).sort()).toEqual(got.map((r) => r.response?.body.data?.numeroComprobante as string).sort());
    // The failure did happen (the fault was used up).
    const fault = await t.c.db.query<{ n: string }>(`SELECT last_value::text AS n FROM test_receipt_fault_${pointId}`);
    expect(Number(fault.rows[0]!.n)).toBeGreaterThanOrEqual(2);

    // Later ticks of every reporter send nothing more.
    clock.advance(10 * 60_000);
    expect((await Promise.all(reporters.map((r) => r.tick()))).flatMap((r) => r.outcomes)).toEqual([]);
    expect(sim.received(code)).toHaveLength(3);
  });
});
