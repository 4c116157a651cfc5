import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { ADMIN_ACTOR, configureDgaPoint } from '../support/dga-fixtures.js';
import { localMidnight, toLocal } from '../../src/lib/timezone.js';
import { TickClaimRepository } from '../../src/telemetry/collection/tick.repository.js';

/**
 * GET /points/status (every user, scoped to its client) and GET /dashboard (staff): statuses from the
 * latest values, DGA problems, KPIs, the DGA queue and collection health per provider.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
let t: TestContext;
let mine: Awaited<ReturnType<typeof seedTenant>>;
let theirs: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;
let attentionId: number;
let monthStart: string;

async function latest(pointId: number, variable: string, ageMs: number, qualityScore = 1) {
  await t.c.db.query(
    `INSERT INTO latest_values (point_id, variable, ts, value_numeric, quality_score) VALUES ($1, $2, $3, 1.5, $4)`,
    [pointId, variable, new Date(Date.now() - ageMs), qualityScore],
  );
}

beforeAll(async () => {
  t = await createTestContext();
  // mine: 0 reporting (+ DGA slot needing attention), 1 late, 2 never read, 3 disconnected, 4 inactive,
  // 5 DGA on without variables (cannot report).
  mine = await seedTenant(t, 'Agrícola Estado', 6);
  theirs = await seedTenant(t, 'Minera Ajena', 1);
  const [p0, p1, , p3, p4, p5] = mine.points as [number, number, number, number, number, number];
  const tz = t.c.config.reportTimezone;
  const l = toLocal(new Date(), tz);
  monthStart = `${l.year}-${String(l.month).padStart(2, '0')}-01`;

  await latest(p0, 'caudal', 2 * MIN);
  await latest(p0, 'nivel', 3 * HOUR); // the newest variable decides
  await latest(p1, 'caudal', 11 * MIN); // frequency 5: 2 periods = 10 min
  await latest(p3, 'caudal', 25 * HOUR);
  await latest(p4, 'caudal', 1 * MIN);
  await latest(theirs.points[0]!, 'caudal', 1 * MIN);
  const off = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${p4}`, payload: { is_telemetry_active: false } });
  expect(off.status).toBe(200);

  await configureDgaPoint(t.c, p0, { code: 'OB-0901-1', startDate: monthStart });
  await t.c.points.update(ADMIN_ACTOR, p5, {
    dga_send: true, dga_standard: 'MAYOR', dga_type: 'SUBTERRANEO', dga_code: 'OB-0901-5', dga_informant_rut: '20999888-2',
    dga_password: 'x', dga_company_rut: '77555666-8', dga_start_date: monthStart,
  });
  const slot = new Date(localMidnight(monthStart, tz).getTime() + HOUR);
  const rows = await t.c.db.query<{ id: number }>(
    `INSERT INTO dga_submissions (point_id, slot_at, standard, status, attempts, receipt, sent_at, error_code, error_message, payload)
     VALUES ($1, $2, 'MAYOR', 'sent', 1, 'R-1', $3, NULL, NULL, '{}'),
            ($1, $4, 'MAYOR', 'needs_attention', 1, NULL, NULL, 'DGA_AUTH_REJECTED', 'DGA rejected the informante password', '{}')
     RETURNING id`,
    [p0, slot, new Date(slot.getTime() + 10 * MIN), new Date(slot.getTime() + HOUR)],
  );
  attentionId = Number(rows.rows[1]!.id);

  // Errors of the last 24 h: a dead letter of p1 and a reading of p2 scoring 0.5 count; a dead letter of p0
  // 30 h old and a flagged reading of p3 26 h old do not.
  await t.c.db.query(
    `INSERT INTO dead_letters (fingerprint, received_at, point_id, code, reason, payload)
     VALUES ('f1', now() - interval '1 hour', $1, 'unparseable_value', 'x', '{}'),
            ('f2', now() - interval '30 hours', $2, 'unparseable_value', 'x', '{}')`,
    [p1, p0],
  );
  await latest(mine.points[2]!, 'nivel', 20 * HOUR, 0.5);
  await latest(p3, 'nivel', 26 * HOUR, 0); // flagged but older than 24 h

  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'estado@agricola.cl', 'estado-password'));
});
afterAll(async () => t.close());

const byPoint = (body: any) => new Map<number, any>(body.items.map((i: any) => [i.point_id, i]));

describe('GET /api/v1/points/status', () => {
  it('gives each point its status from its newest reading and its DGA problem', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/status' });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(7);
    const [p0, p1, p2, p3, p4, p5] = mine.points as number[];
    const s = byPoint(r.body);
    expect([p0, p1, p2, p3, p4, p5].map((p) => s.get(p!).status)).toEqual([
      'reporting', 'late', 'late', 'disconnected', 'inactive', 'no_data',
    ]);
    expect(Date.now() - Date.parse(s.get(p0!).last_reading_at)).toBeLessThan(3 * MIN);
    expect(s.get(p5!).last_reading_at).toBeNull();
    expect(s.get(p0!)).toMatchObject({ dga_problem: true });
    expect(s.get(p0!).dga_problem_reason).toContain('needs attention: DGA rejected the informante password');
    expect(s.get(p5!).dga_problem).toBe(true);
    expect(s.get(p5!).dga_problem_reason).toMatch(/^configuration: /);
    expect(s.get(p1!)).toMatchObject({ dga_problem: false, dga_problem_reason: null });
    expect(r.body.items.map((i: any) => i.point_id)).toEqual([...r.body.items.map((i: any) => i.point_id)].sort((a: number, b: number) => a - b));
  });

  it('a point whose DGA sending is switched off has no DGA problem, whatever its old rows say', async () => {
    const p0 = mine.points[0]!;
    await t.c.points.update(ADMIN_ACTOR, p0, { dga_send: false });
    try {
      const r = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/status?project_id=${mine.projectId}` });
      expect(byPoint(r.body).get(p0)).toMatchObject({ dga_problem: false, dga_problem_reason: null });
    } finally {
      await t.c.points.update(ADMIN_ACTOR, p0, { dga_send: true });
    }
  });

  it('filters by client and project', async () => {
    const c = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/status?client_id=${theirs.clientId}` });
    expect(c.body).toMatchObject({ total: 1, items: [{ point_id: theirs.points[0], status: 'reporting' }] });
    const p = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/status?project_id=${mine.projectId}` });
    expect(p.body.items.map((i: any) => i.point_id)).toEqual(mine.points);
  });

  it("shows a client user only its client's points", async () => {
    const r = await t.as(clientToken, { method: 'GET', url: '/api/v1/points/status' });
    expect(r.status).toBe(200);
    expect(r.body.items.map((i: any) => i.point_id)).toEqual(mine.points);
    const other = await t.as(clientToken, { method: 'GET', url: `/api/v1/points/status?client_id=${theirs.clientId}` });
    expect(other.body).toEqual({ items: [], total: 0 });
    const otherProject = await t.as(clientToken, { method: 'GET', url: `/api/v1/points/status?project_id=${theirs.projectId}` });
    expect(otherProject.body).toEqual({ items: [], total: 0 });
  });

  it('refuses bad filters with a problem and anonymous callers with 401', async () => {
    for (const q of ['client_id=abc', 'project_id=1e20', 'client_id=-1', 'project_id=0x10']) {
      const r = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/status?${q}` });
      expect(r.status, q).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await t.as(null, { method: 'GET', url: '/api/v1/points/status' })).status).toBe(401);
  });
});

describe('GET /api/v1/dashboard', () => {
  it('gives the KPIs in their fixed order', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dashboard' });
    expect(r.status).toBe(200);
    expect(Date.now() - Date.parse(r.body.generated_at)).toBeLessThan(60_000);
    const kpis = Object.fromEntries(r.body.kpis.map((k: any) => [k.key, k]));
    expect(r.body.kpis.map((k: any) => k.key)).toEqual([
      'points_total', 'points_with_dga_code', 'reporting_now_pct', 'dga_on_time_month_pct', 'disconnected_points', 'points_with_errors',
    ]);
    expect(kpis.points_total.value).toBe(7);
    expect(kpis.points_with_dga_code.value).toBe(2);
    // Telemetry on: 6 points (p4 is off); reporting: p0 and theirs.
    expect(kpis.reporting_now_pct).toEqual({ key: 'reporting_now_pct', value: 33.3, unit: '%' });
    expect(kpis.disconnected_points.value).toBe(1);
    // p1 (dead letter 1 h ago) and p2 (reading scoring 0.5, 20 h ago); not p0 (dead letter 30 h ago) nor p3 (flagged 26 h ago).
    expect(kpis.points_with_errors.value).toBe(2);
  });

  it("takes this month's on-time share from the compliance report", async () => {
    const [dash, compliance] = await Promise.all([
      t.as(t.adminToken, { method: 'GET', url: '/api/v1/dashboard' }),
      t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/compliance?from=${monthStart}` }),
    ]);
    expect(compliance.status).toBe(200);
    const kpi = dash.body.kpis.find((k: any) => k.key === 'dga_on_time_month_pct');
    expect(kpi.unit).toBe('%');
    expect(kpi.value).toBe(compliance.body.totals.on_time_pct);
    if (compliance.body.totals.due > 0) expect(kpi.value).toBeGreaterThan(0);
  });

  it('lists the DGA queue with the reason a slot waits for an operator', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dashboard' });
    expect(r.body.dga_queue.needs_attention).toEqual([
      { submission_id: attentionId, point_id: mine.points[0], point_title: 'Agrícola Estado well 1', reason: 'DGA rejected the informante password' },
    ]);
    expect(r.body.dga_queue.retrying).toBe(0);
    const pending = await t.c.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dga_submissions WHERE status IN ('pending', 'sending')`);
    expect(r.body.dga_queue.pending).toBe(Number(pending.rows[0]!.n));
  });

  it('shows collection health per provider from the recorded ticks, with the last failure', async () => {
    const ticks = new TickClaimRepository(t.c.db);
    const now = Date.now();
    // A real collection: the twin points have no provider account, so each point fails and says why.
    const tickAt = new Date(Math.floor(now / (5 * MIN)) * 5 * MIN);
    expect(await ticks.claim(5, tickAt, 'test-collector')).toBe(true);
    const stats = await t.c.collection.collectPoints(await t.c.collection.activePoints(5));
    expect(stats.by_provider.twin?.failed).toBeGreaterThan(0);
    await ticks.finish(5, tickAt, stats);
    // An older tick of the same day, all well, and one of a provider silent for two days.
    await t.c.db.query(
      `INSERT INTO collection_ticks (frequency, tick_at, claimed_by, finished_at, points, readings, ok, no_data, failed, by_provider) VALUES
         (5, $1, 'c', $1, 2, 4, 2, 0, 0, '{"twin": {"points": 2, "ok": 2, "no_data": 0, "failed": 0, "readings": 4}}'),
         (60, $2, 'c', $2, 1, 0, 0, 0, 1, '{"nettra": {"points": 1, "ok": 0, "no_data": 0, "failed": 1, "readings": 0, "last_error": "old"}}'),
         (60, $3, 'c', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
      [new Date(tickAt.getTime() - 3 * HOUR), new Date(now - 48 * HOUR), new Date(now - HOUR)],
    );
    const nettraPoint = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/points',
      payload: { project_id: theirs.projectId, title: 'silent nettra', is_telemetry_active: true, provider: 'nettra', frequency: 60 },
    });
    expect(nettraPoint.status).toBe(201);

    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dashboard' });
    expect(r.body.collection).toEqual([
      { provider: 'nettra', last_tick_at: new Date(now - 48 * HOUR).toISOString(), ticks_24h: 0, failures_24h: 0 },
      {
        provider: 'twin',
        last_tick_at: tickAt.toISOString(),
        ticks_24h: 2,
        failures_24h: stats.by_provider.twin!.failed,
        last_error: 'no twin provider account',
      },
    ]);
    await t.c.db.query('DELETE FROM catchment_points WHERE id = $1', [nettraPoint.body.id]);
  });

  it('is refused to client users (403) and anonymous callers (401)', async () => {
    const r = await t.as(clientToken, { method: 'GET', url: '/api/v1/dashboard' });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await t.as(null, { method: 'GET', url: '/api/v1/dashboard' })).status).toBe(401);
  });
});
