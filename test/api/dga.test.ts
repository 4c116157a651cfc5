import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { ADMIN_ACTOR, configureDgaPoint } from '../support/dga-fixtures.js';

/**
 * DGA submissions API: filters, tenant scoping, retry, compliance (JSON and CSV) and status.
 * Rows are written directly so every status and timing is known.
 */
const HOUR = 3_600_000;
let t: TestContext;
let mine: Awaited<ReturnType<typeof seedTenant>>;
let theirs: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;
const ids: Record<string, number> = {};

interface RowSpec {
  point: number;
  slot: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'needs_attention';
  standard?: string;
  sentAfterMs?: number;
  receipt?: string;
  errorCode?: string;
  leaseUntil?: Date;
}

async function insertRow(r: RowSpec): Promise<number> {
  const slot = new Date(r.slot);
  const { rows } = await t.c.db.query<{ id: number }>(
    `INSERT INTO dga_submissions (point_id, slot_at, standard, status, attempts, receipt, sent_at, next_attempt_at,
       error_code, error_message, payload, lease_until, lease_token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [
      r.point,
      slot,
      r.standard ?? 'MAYOR',
      r.status,
      r.status === 'pending' ? 0 : 1,
      r.status === 'sent' ? (r.receipt ?? `R${slot.getTime()}`) : null,
      r.status === 'sent' ? new Date(slot.getTime() + (r.sentAfterMs ?? 60_000)) : null,
      r.status === 'failed' || r.status === 'pending' ? new Date(slot.getTime() + HOUR) : null,
      r.errorCode ?? null,
      r.errorCode ? `problem ${r.errorCode}` : null,
      JSON.stringify({ path: '/mediciones/subterraneas', body: { autenticacion: { password: '***', rutUsuario: '20999888-2' } } }),
      r.leaseUntil ?? null,
      r.leaseUntil ? 'live-token' : null,
    ],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  t = await createTestContext();
  mine = await seedTenant(t, 'Agrícola Mía', 3);
  theirs = await seedTenant(t, 'Minera Otra', 1);
  await configureDgaPoint(t.c, mine.points[0]!, { code: 'OB-0701-1', startDate: '2026-06-01', password: 'very-secret-pw' });
  await configureDgaPoint(t.c, mine.points[1]!, { code: 'OB-0701-2', startDate: '2026-05-01', standard: 'MEDIO' });
  // Sending on, but no variables: it cannot report.
  await t.c.points.update(ADMIN_ACTOR, mine.points[2]!, {
    dga_send: true, dga_standard: 'MAYOR', dga_type: 'SUBTERRANEO', dga_code: 'OB-0701-3', dga_informant_rut: '20999888-2',
    dga_password: 'x', dga_company_rut: '77555666-8', dga_start_date: '2026-06-01',
  });
  await configureDgaPoint(t.c, theirs.points[0]!, { code: 'OB-0801-1', startDate: '2026-06-01' });

  const [p0, p1] = mine.points as [number, number];
  // MAYOR point, 1 June local (UTC−4): slots 04:00Z, 05:00Z, …
  ids.onTime = await insertRow({ point: p0, slot: '2026-06-01T04:00:00Z', status: 'sent', sentAfterMs: 10 * 60_000 });
  ids.exactlyOnTime = await insertRow({ point: p0, slot: '2026-06-01T05:00:00Z', status: 'sent', sentAfterMs: HOUR });
  ids.late = await insertRow({ point: p0, slot: '2026-06-01T06:00:00Z', status: 'sent', sentAfterMs: 2 * HOUR });
  ids.failed = await insertRow({ point: p0, slot: '2026-06-01T07:00:00Z', status: 'failed', errorCode: 'DGA_UNAVAILABLE' });
  ids.attention = await insertRow({ point: p0, slot: '2026-06-01T08:00:00Z', status: 'needs_attention', errorCode: 'DGA_AUTH_REJECTED' });
  ids.pending = await insertRow({ point: p0, slot: '2026-06-01T09:00:00Z', status: 'pending', errorCode: 'DGA_DATA_MISSING' });
  ids.sending = await insertRow({ point: p0, slot: '2026-06-01T10:00:00Z', status: 'sending', leaseUntil: new Date(Date.now() + HOUR) });
  // 11:00Z … 13:00Z: no row (missing)
  ids.daily = await insertRow({ point: p1, slot: '2026-06-01T04:00:00Z', status: 'sent', standard: 'MEDIO', sentAfterMs: 20 * HOUR });
  ids.theirs = await insertRow({ point: theirs.points[0]!, slot: '2026-06-01T04:00:00Z', status: 'failed', errorCode: 'DGA_REJECTED' });

  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'dga@mia.cl', 'client-password'));
});
afterAll(async () => t.close());

const get = (token: string, url: string) => t.as(token, { method: 'GET', url });
const idsOf = (body: any) => body.items.map((x: any) => x.id);

describe('GET /api/v1/dga/submissions', () => {
  it('lists newest slot first with point and client, never a password nor lease internals', async () => {
    const r = await get(t.adminToken, '/api/v1/dga/submissions?limit=100');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(9);
    const slots = r.body.items.map((x: any) => Date.parse(x.slot_at));
    expect(slots).toEqual([...slots].sort((a, b) => b - a));
    const late = r.body.items.find((x: any) => x.id === ids.late);
    expect(late).toMatchObject({
      point_id: mine.points[0], client_id: mine.clientId, codigo_obra: 'OB-0701-1', standard: 'MAYOR', status: 'sent',
      slot_at: '2026-06-01T06:00:00.000Z', sent_at: '2026-06-01T08:00:00.000Z', receipt: `R${Date.parse('2026-06-01T06:00:00Z')}`,
    });
    expect(late).not.toHaveProperty('lease_token');
    expect(late).not.toHaveProperty('leased_by');
    expect(r.text).not.toContain('very-secret-pw');
    expect(r.text).not.toContain('dga_password');
  });

  it('filters by point, client, status and slot period, and pages', async () => {
    const byPoint = await get(t.adminToken, `/api/v1/dga/submissions?point_id=${mine.points[1]}`);
    expect(idsOf(byPoint.body)).toEqual([ids.daily]);
    const byClient = await get(t.adminToken, `/api/v1/dga/submissions?client_id=${theirs.clientId}`);
    expect(idsOf(byClient.body)).toEqual([ids.theirs]);
    const failed = await get(t.adminToken, '/api/v1/dga/submissions?status=failed');
    expect(idsOf(failed.body).sort()).toEqual([ids.failed, ids.theirs].sort());
    const period = await get(t.adminToken, `/api/v1/dga/submissions?point_id=${mine.points[0]}&from=2026-06-01T05:00:00Z&to=2026-06-01T07:00:00Z`);
    expect(idsOf(period.body)).toEqual([ids.late, ids.exactlyOnTime]);
    // A date is local midnight in DGA_TIMEZONE: 2 June 00:00 local = 04:00Z, so nothing of 1 June local is cut.
    const localDay = await get(t.adminToken, `/api/v1/dga/submissions?point_id=${mine.points[0]}&from=2026-06-01&to=2026-06-02`);
    expect(localDay.body.total).toBe(7);
    const page = await get(t.adminToken, `/api/v1/dga/submissions?point_id=${mine.points[0]}&limit=2&offset=1`);
    expect(page.body.total).toBe(7);
    expect(idsOf(page.body)).toEqual([ids.pending, ids.attention]);
  });

  it('rejects bad filters with a problem naming the field', async () => {
    const badStatus = await get(t.adminToken, '/api/v1/dga/submissions?status=lost');
    expect(badStatus.status).toBe(400);
    expect(badStatus.headers['content-type']).toContain('application/problem+json');
    expect(badStatus.body.field).toBe('status');
    const badDate = await get(t.adminToken, '/api/v1/dga/submissions?from=yesterday');
    expect(badDate.status).toBe(400);
    expect(badDate.body.field).toBe('from');
    const reversed = await get(t.adminToken, '/api/v1/dga/submissions?from=2026-06-02&to=2026-06-01');
    expect(reversed.status).toBe(400);
  });
});

describe('tenant scoping', () => {
  it('a client user sees only its own points’ submissions, status and compliance', async () => {
    const all = await get(clientToken, '/api/v1/dga/submissions?limit=100');
    expect(all.body.total).toBe(8);
    expect(all.body.items.every((x: any) => x.client_id === mine.clientId)).toBe(true);
    const other = await get(clientToken, `/api/v1/dga/submissions?point_id=${theirs.points[0]}`);
    expect(other.body).toEqual({ items: [], total: 0 });
    const otherClient = await get(clientToken, `/api/v1/dga/submissions?client_id=${theirs.clientId}`);
    expect(otherClient.body.total).toBe(0);
    expect((await get(clientToken, `/api/v1/dga/submissions/${ids.theirs}`)).status).toBe(404);
    expect((await get(clientToken, `/api/v1/dga/submissions/${ids.late}`)).status).toBe(200);

    const status = await get(clientToken, '/api/v1/dga/status');
    expect(status.body.counts.failed).toBe(1);
    const compliance = await get(clientToken, '/api/v1/dga/compliance?from=2026-06-01&to=2026-06-02');
    expect(compliance.body.clients.map((c: any) => c.client_id)).toEqual([mine.clientId]);
    expect(compliance.body.points.every((p: any) => p.client_id === mine.clientId)).toBe(true);
    const csv = await get(clientToken, '/api/v1/dga/compliance?from=2026-06-01&to=2026-06-02&format=csv');
    expect(csv.text).not.toContain('OB-0801-1');
  });

  it('a client user may not retry', async () => {
    const r = await t.as(clientToken, { method: 'POST', url: `/api/v1/dga/submissions/${ids.failed}/retry` });
    expect(r.status).toBe(403);
  });
});

describe('POST /api/v1/dga/submissions/{id}/retry', () => {
  it('queues a failed submission for the next reporter pass', async () => {
    const r = await t.as(t.adminToken, { method: 'POST', url: `/api/v1/dga/submissions/${ids.theirs}/retry` });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: ids.theirs, status: 'pending', error_code: null, receipt: null });
    expect(Date.parse(r.body.next_attempt_at)).toBeLessThanOrEqual(Date.parse(r.body.slot_at));
  });

  it('refuses a submission that has a receipt (409) and one being sent right now (409)', async () => {
    const sent = await t.as(t.adminToken, { method: 'POST', url: `/api/v1/dga/submissions/${ids.late}/retry` });
    expect(sent.status).toBe(409);
    expect(sent.headers['content-type']).toContain('application/problem+json');
    expect(sent.body.code).toBe('DGA_ALREADY_SENT');
    expect(sent.body.detail).toContain(`R${Date.parse('2026-06-01T06:00:00Z')}`);
    const inFlight = await t.as(t.adminToken, { method: 'POST', url: `/api/v1/dga/submissions/${ids.sending}/retry` });
    expect(inFlight.status).toBe(409);
    expect(inFlight.body.code).toBe('DGA_SUBMISSION_IN_FLIGHT');
    const unknown = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/dga/submissions/999999/retry' });
    expect(unknown.status).toBe(404);
    const still = await get(t.adminToken, `/api/v1/dga/submissions/${ids.late}`);
    expect(still.body).toMatchObject({ status: 'sent', receipt: `R${Date.parse('2026-06-01T06:00:00Z')}` });
  });
});

describe('GET /api/v1/dga/compliance', () => {
  const period = 'from=2026-06-01&to=2026-06-01T14:00:00Z';

  it('counts every owed slot once per point and per client, with the on-time rule stated', async () => {
    const r = await get(t.adminToken, `/api/v1/dga/compliance?${period}`);
    expect(r.status).toBe(200);
    expect(r.body.from).toBe('2026-06-01T04:00:00.000Z');
    expect(r.body.on_time_rule.MAYOR).toBe('receipt within 1 h of the slot time');
    const hourly = r.body.points.find((p: any) => p.point_id === mine.points[0]);
    // 04:00Z … 13:00Z: 10 slots
    expect(hourly).toMatchObject({
      codigo_obra: 'OB-0701-1', standard: 'MAYOR', due: 10, sent_on_time: 2, sent_late: 1, failed: 1, needs_attention: 1,
      pending: 2, missing: 3, on_time_pct: 20,
    });
    const daily = r.body.points.find((p: any) => p.point_id === mine.points[1]);
    expect(daily).toMatchObject({ standard: 'MEDIO', due: 1, sent_on_time: 1, missing: 0, on_time_pct: 100 });
    const noVariables = r.body.points.find((p: any) => p.point_id === mine.points[2]);
    expect(noVariables).toMatchObject({ due: 10, missing: 10, on_time_pct: 0 });
    const client = r.body.clients.find((c: any) => c.client_id === mine.clientId);
    expect(client).toMatchObject({ client_name: 'Agrícola Mía', points: 3, due: 21, sent_on_time: 3, sent_late: 1, missing: 13 });
    const theirsLine = r.body.points.find((p: any) => p.point_id === theirs.points[0]);
    expect(theirsLine).toMatchObject({ due: 10, pending: 1, missing: 9 });
    expect(r.body.totals.due).toBe(31);
    for (const line of [...r.body.points, ...r.body.clients, r.body.totals]) {
      const sum = line.sent_on_time + line.sent_late + line.pending + line.failed + line.needs_attention + line.missing;
      expect(sum).toBe(line.due);
    }
  });

  it('counts nothing before a point’s start date and filters by client and point', async () => {
    const before = await get(t.adminToken, `/api/v1/dga/compliance?from=2026-05-31&to=2026-06-01&point_id=${mine.points[0]}`);
    expect(before.body.points[0]).toMatchObject({ due: 0, on_time_pct: null });
    const byClient = await get(t.adminToken, `/api/v1/dga/compliance?${period}&client_id=${theirs.clientId}`);
    expect(byClient.body.points.map((p: any) => p.point_id)).toEqual([theirs.points[0]]);
  });

  it('answers CSV with one line per point, per client and the total', async () => {
    const r = await get(t.adminToken, `/api/v1/dga/compliance?${period}&client_id=${mine.clientId}&format=csv`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(String(r.headers['content-disposition'])).toContain('dga-compliance-2026-06-01-2026-06-01.csv');
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'level,client_id,client_name,point_id,point_title,codigo_obra,standard,due,sent_on_time,sent_late,pending,failed,needs_attention,missing,on_time_pct',
    );
    expect(lines).toHaveLength(1 + 3 + 1 + 1);
    expect(lines[1]).toBe(`point,${mine.clientId},Agrícola Mía,${mine.points[0]},Agrícola Mía well 1,OB-0701-1,MAYOR,10,2,1,2,1,1,3,20`);
    expect(lines[4]).toBe(`client,${mine.clientId},Agrícola Mía,,,,,21,3,1,2,1,1,13,14.3`);
    expect(lines[5]).toBe('total,,,,,,,21,3,1,2,1,1,13,14.3');
  });

  it('rejects a reversed or too long period and an unknown format', async () => {
    expect((await get(t.adminToken, '/api/v1/dga/compliance?from=2026-06-02&to=2026-06-01')).status).toBe(400);
    expect((await get(t.adminToken, '/api/v1/dga/compliance?from=2025-01-01&to=2026-06-01')).status).toBe(400);
    const fmt = await get(t.adminToken, '/api/v1/dga/compliance?format=xml');
    expect(fmt.status).toBe(400);
    expect(fmt.body.field).toBe('format');
  });
});

describe('GET /api/v1/dga/status', () => {
  it('counts by status, lists what needs an operator and the points that cannot report', async () => {
    const r = await get(t.adminToken, '/api/v1/dga/status');
    expect(r.status).toBe(200);
    expect(r.body.counts).toEqual({ pending: 2, sending: 1, sent: 4, failed: 1, needs_attention: 1 });
    expect(r.body.needs_attention).toEqual([
      expect.objectContaining({ id: ids.attention, point_id: mine.points[0], codigo_obra: 'OB-0701-1', error_code: 'DGA_AUTH_REJECTED' }),
    ]);
    expect(r.body.config_problems).toEqual([
      {
        point_id: mine.points[2],
        point_title: 'Agrícola Mía well 3',
        problems: [expect.stringContaining('no totalizer variable'), expect.stringContaining('no level variable')],
      },
    ]);
    expect(r.body.oldest_unsent_slot).toBe('2026-06-01T04:00:00.000Z');
    // The summary is a function other code (/stats) can call.
    const direct = await t.c.dga.statusSummary(ADMIN_ACTOR);
    expect(direct.counts).toEqual(r.body.counts);
  });
});
