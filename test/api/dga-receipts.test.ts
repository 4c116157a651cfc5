import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { configureDgaPoint, failReceiptWrites, FakeClock, insertMeasurements, wellSeries } from '../support/dga-fixtures.js';
import { DgaClient } from '../../src/dga/dga.client.js';
import { DgaPointRepository } from '../../src/dga/dga-point.repository.js';
import { InformantPacingRepository } from '../../src/dga/informant-pacing.repository.js';
import { DgaReporter, type DgaReporterTuning } from '../../src/dga/reporter.service.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../src/dga/simulator.js';
import { SubmissionRepository, type SubmissionRow } from '../../src/dga/submission.repository.js';

/** A receipt DGA gave is never lost and never earns a resend; receipts outlive the registry. */
const TZ = 'Etc/GMT+4';
let t: TestContext;
let sim: RunningDgaSimulator;
const clock = new FakeClock(Date.parse('2026-07-01T11:07:00Z'));
let codeSeq = 800;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  sim = await startDgaSimulator({ clock, timeZone: TZ });
  t = await createTestContext({ config: { dgaApiUrl: sim.url, reportTimezone: TZ } });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});
afterEach(async () => {
  await t.c.db.query('UPDATE catchment_points SET dga_send = false');
});

/** A reporter on the test's database whose log lines are kept in `logLines`. */
function reporter(opts: DgaReporterTuning & { fetch?: typeof fetch } = {}): DgaReporter {
  const { fetch, ...tuning } = opts;
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  return new DgaReporter(
    {
      submissions: new SubmissionRepository(t.c.db),
      points: new DgaPointRepository(t.c.db),
      pacing: new InformantPacingRepository(t.c.db),
      client: new DgaClient({ apiUrl: sim.url, fetch }),
      config: { tz: TZ, variables: (id) => t.c.schemas.variables(id), password: (e) => t.c.secrets.decrypt(e) },
      logger,
      metrics: t.c.metrics,
    },
    { clock, minSpacingMs: 0, receiptRetryMs: [10, 10, 10], ...tuning },
  );
}

/** A well owing the 10:00 and 11:00 UTC slots of 1 July (clock at 11:07). */
async function well(): Promise<{ pointId: number; code: string; clientId: number }> {
  const code = `OB-0603-${codeSeq++}`;
  const { points, clientId } = await seedTenant(t, `receipts-${code}`, 1);
  const pointId = points[0]!;
  await configureDgaPoint(t.c, pointId, { code, startDate: '2026-07-01' });
  await insertMeasurements(t.c.db, pointId, wellSeries({ from: new Date('2026-07-01T10:00:00Z'), to: new Date('2026-07-01T11:05:00Z') }).all);
  return { pointId, code, clientId };
}

async function rows(pointId: number): Promise<SubmissionRow[]> {
  return (await t.c.db.query<SubmissionRow>('SELECT * FROM dga_submissions WHERE point_id = $1 ORDER BY slot_at', [pointId])).rows;
}

const receiptsGiven = (code: string) => sim.received(code).map((r) => r.response?.body.data?.numeroComprobante as string | undefined);

describe('a receipt DGA gave', () => {
  it('is stored when recording it fails once: the write is retried, the slot is not sent again', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    await failReceiptWrites(t.c.db, p.pointId, 1);
    const result = await reporter().tick();
    expect(result.outcomes).toEqual(['sent', 'sent']);
    expect(sim.received(p.code)).toHaveLength(2);
    const stored = await rows(p.pointId);
    expect(stored.map((r) => [r.status, r.attempts])).toEqual([['sent', 1], ['sent', 1]]);
    expect(stored.map((r) => r.receipt)).toEqual(receiptsGiven(p.code));
    // Logged before it was written.
    const accepted = logLines.filter((l) => l.msg === 'DGA reading accepted' && l.submissionId === stored[0]!.id);
    expect(accepted.map((l) => l.receipt)).toEqual([stored[0]!.receipt]);
  });

  it('while the database keeps refusing it: logged, the row keeps its lease (never back to pending), and a later send stores the same receipt', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    await failReceiptWrites(t.c.db, p.pointId, 1000);
    const first = await reporter({ leaseMs: 10 * 60_000 }).tick();
    expect(first.outcomes).toEqual(['error', 'error']);
    const given = receiptsGiven(p.code);
    expect(given).toHaveLength(2);
    let stored = await rows(p.pointId);
    expect(stored.map((r) => r.status)).toEqual(['sending', 'sending']);
    expect(stored.every((r) => r.receipt === null && r.lease_until!.getTime() > clock.now().getTime())).toBe(true);
    for (const [i, row] of stored.entries()) {
      expect(logLines.some((l) => l.msg === 'DGA reading accepted' && l.submissionId === row.id && l.receipt === given[i])).toBe(true);
    }

    // Another reporter while the lease holds: nothing is sent.
    clock.advance(5 * 60_000);
    expect((await reporter().tick()).outcomes).toEqual([]);
    expect(sim.received(p.code)).toHaveLength(2);

    // The database is back and the lease ran out: DGA answers "Ya existe … Comprobante: X" and X is stored.
    await t.c.db.query('DELETE FROM test_receipt_faults WHERE point_id = $1', [p.pointId]);
    clock.advance(6 * 60_000);
    expect((await reporter().tick()).outcomes).toEqual(['duplicate', 'duplicate']);
    stored = await rows(p.pointId);
    expect(stored.map((r) => r.receipt)).toEqual(given);
    expect(stored.map((r) => r.status)).toEqual(['sent', 'sent']);
  });

  it('a slot DGA answered 2xx without a readable receipt is queued again only with force: true', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    const noReceipt: typeof fetch = async () => new Response(JSON.stringify({ status: '00', message: 'Medición registrada' }), { status: 200 });
    expect((await reporter({ fetch: noReceipt }).tick()).outcomes).toEqual(['needs_attention', 'needs_attention']);
    const [row] = await rows(p.pointId);
    expect(row).toMatchObject({ status: 'needs_attention', error_code: 'DGA_RECEIPT_MISSING', last_http_status: 200 });

    const url = `/api/v1/dga/submissions/${row!.id}/retry`;
    const refused = await t.as(t.adminToken, { method: 'POST', url });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.code).toBe('DGA_FORCE_REQUIRED');
    expect(refused.body.detail ?? refused.body.title).toMatch(/force/);
    expect((await t.as(t.adminToken, { method: 'POST', url, payload: { force: false } })).status).toBe(409);
    expect((await t.as(t.adminToken, { method: 'POST', url, payload: { force: 'yes' } })).status).toBe(400);
    expect((await rows(p.pointId))[0]!.status).toBe('needs_attention');

    const forced = await t.as(t.adminToken, { method: 'POST', url, payload: { force: true } });
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('pending');
  });
});

describe('receipts outlive the registry', () => {
  it('deleting a point with receipts is refused with 409 (archive instead); the receipts stay', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    expect((await reporter().tick()).outcomes).toEqual(['sent', 'sent']);
    const before = await rows(p.pointId);

    const del = await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/points/${p.pointId}` });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('POINT_HAS_DGA_RECEIPTS');
    expect(del.body.detail ?? del.body.title).toMatch(/archive/);
    expect((await rows(p.pointId)).map((r) => r.receipt)).toEqual(before.map((r) => r.receipt));

    // Archived: no telemetry, no reporting; the receipts are still listed.
    const archived = await t.as(t.adminToken, {
      method: 'PATCH', url: `/api/v1/points/${p.pointId}`, payload: { is_telemetry_active: false, dga_send: false },
    });
    expect(archived.status).toBe(200);
    const listed = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/submissions?point_id=${p.pointId}` });
    expect(listed.body.items.map((x: any) => x.receipt).sort()).toEqual(before.map((r) => r.receipt).sort());
  });

  it('a point whose slots were never receipted can be deleted, its queue with it; the database refuses to drop receipts', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    await reporter().planAll();
    expect(await rows(p.pointId)).toHaveLength(2);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/points/${p.pointId}` })).status).toBe(204);
    expect(await rows(p.pointId)).toHaveLength(0);

    const fk = await t.c.db.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'dga_submissions_point_id_fkey'`,
    );
    expect(fk.rows[0]!.def).not.toMatch(/CASCADE/);
  });

  it('a label (código de obra, fechaMedicion, horaMedicion) receipted before is never sent again, even for another slot instant', async () => {
    clock.set('2026-07-01T11:07:00Z');
    const p = await well();
    // The legacy system receipted 07:00 local (the 11:00 UTC slot in Etc/GMT+4) under its own label.
    await t.c.db.query(
      `INSERT INTO dga_receipted_labels (codigo_obra, fecha_medicion, hora_medicion, receipt, source)
       VALUES ($1, '2026-07-01', '07:00:00', 'LEGACY-77', 'legacy_import')`,
      [p.code],
    );
    const before = sim.received(p.code).length;
    const result = await reporter().tick();
    expect([...result.outcomes].sort()).toEqual(['already_receipted', 'sent']);
    // Only the 10:00 UTC slot reached DGA.
    const sent = sim.received(p.code).slice(before);
    expect(sent).toHaveLength(1);
    expect((sent[0]!.body as any).medicionSubterranea.horaMedicion).toBe('06:00:00');
    const [first, second] = await rows(p.pointId);
    expect(second).toMatchObject({ status: 'sent', receipt: 'LEGACY-77', duplicate: true });
    expect(second!.last_response).toContain('receipted before');
    // The reporter's own receipt is a label too: no other point or slot of this work sends 06:00 again.
    const labels = await t.c.db.query('SELECT hora_medicion, receipt, source FROM dga_receipted_labels WHERE codigo_obra = $1 ORDER BY hora_medicion', [p.code]);
    expect(labels.rows).toEqual([
      { hora_medicion: '06:00:00', receipt: first!.receipt, source: 'reporter' },
      { hora_medicion: '07:00:00', receipt: 'LEGACY-77', source: 'legacy_import' },
    ]);
  });
});
