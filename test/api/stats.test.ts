import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { store } from './query.support.js';

/** GET /stats (staff only) and GET /metrics (Prometheus text). */
let t: TestContext;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;

beforeAll(async () => {
  t = await createTestContext();
  tenant = await seedTenant(t, 'ops', 2);
  ({ token: clientToken } = await seedClientUser(t, tenant.clientId, 'client@ops.cl', 'client-password'));

  const db = t.c.db;
  const now = Date.now();
  await db.query(
    `INSERT INTO collection_ticks (frequency, tick_at, claimed_by, finished_at, points, readings, ok, no_data, failed, by_provider)
     VALUES (5, $1, 'collector-a', $2, 2, 6, 1, 1, 0, '{"twin": {"points": 2, "ok": 1, "no_data": 1, "failed": 0, "readings": 6}}'),
            (5, $3, 'collector-b', $4, 2, 4, 2, 0, 0, NULL),
            (60, $3, 'collector-a', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    [new Date(now - 300_000), new Date(now - 290_000), new Date(now - 3_600_000), new Date(now - 3_590_000)],
  );
  await db.query(
    `INSERT INTO collection_cursors (point_id, variable, cursor_ts) VALUES ($1, 'flow', $3), ($2, 'flow', $4)`,
    [tenant.points[0], tenant.points[1], new Date(now - 600_000), new Date(now - 120_000)],
  );
  const hasFingerprint = (
    await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'dead_letters' AND column_name = 'fingerprint'`)
  ).rows.length > 0;
  await db.query(
    hasFingerprint
      ? `INSERT INTO dead_letters (fingerprint, code, reason, payload) VALUES ('a', 'unparseable_value', 'x', '{}'), ('b', 'future_timestamp', 'y', '{}')`
      : `INSERT INTO dead_letters (code, reason, payload) VALUES ('unparseable_value', 'x', '{}'), ('future_timestamp', 'y', '{}')`,
  );
  const ts = new Date(now - 60_000);
  await store(db, [
    { point_id: tenant.points[0]!, variable: 'flow', ts, value: 1 },
    { point_id: tenant.points[0]!, variable: 'level', ts, value: 2 },
    { point_id: tenant.points[1]!, variable: 'flow', ts, value: 3 },
  ]);
  t.c.metrics.processedReadings.inc({ outcome: 'stored' }, 7);
});
afterAll(async () => t.close());

describe('GET /stats', () => {
  it('is for staff only', async () => {
    expect((await t.as(null, { method: 'GET', url: '/stats' })).status).toBe(401);
    const r = await t.as(clientToken, { method: 'GET', url: '/stats' });
    expect(r.status).toBe(403);
    expect(r.headers['content-type']).toContain('application/problem+json');
  });

  it('reports collection per frequency and per provider, bus lag, processor, dead letters, today', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/stats' });
    expect(r.status).toBe(200);
    const five = r.body.collection.by_frequency.find((f: any) => f.frequency === 5);
    expect(five.last_tick).toMatchObject({ claimed_by: 'collector-a', points: 2, ok: 1, no_data: 1, failed: 0 });
    expect(five.last_24h).toMatchObject({ ticks: 2, ok: 3, no_data: 1, failed: 0, readings: 10 });
    const sixty = r.body.collection.by_frequency.find((f: any) => f.frequency === 60);
    expect(sixty.last_24h.unfinished).toBe(1);

    const twin = r.body.collection.by_provider.find((p: any) => p.provider === 'twin' && p.frequency === 5);
    expect(twin).toMatchObject({ points: 2, cursors: 2, last_tick: { points_collected: 2, ok: 1, no_data: 1, failed: 0 } });
    expect(twin.oldest_cursor_age_s).toBeGreaterThanOrEqual(600);
    expect(twin.oldest_cursor_age_s).toBeLessThan(700);

    expect(r.body.bus).toMatchObject({ kind: 'memory' });
    expect(r.body.bus.lag).toHaveProperty('smarthydro-processor');
    expect(r.body.processor.this_process.readings.stored).toBeGreaterThanOrEqual(7);
    expect(r.body.dead_letters).toEqual({ total: 2, last_24h: 2 });
    expect(r.body.measurements.stored_today).toBe(3);
    expect(r.body.cache.kind).toBe('memory');
  });

  it('sends every figure the service computes (the response schema drops none)', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/stats' });
    // Within the 5 s cache both calls see the same computation.
    const computed = await t.c.stats.stats({ userId: 1, role: 'admin', clientId: null });
    expect(r.body).toEqual(JSON.parse(JSON.stringify(computed)));
    expect(Object.keys(r.body.processor.this_process.readings)).toContain('stored');
  });
});

describe('GET /metrics', () => {
  it('exposes Prometheus text with HTTP latency by route pattern, never by raw URL', async () => {
    await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${tenant.points[0]}/latest` });
    await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${tenant.points[1]}/latest` });
    const r = await t.as(null, { method: 'GET', url: '/metrics' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.text).toMatch(/smarthydro_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/points\/:id\/latest"/);
    expect(r.text).not.toContain(`route="/api/v1/points/${tenant.points[0]}/latest"`);
    expect(r.text).toMatch(/smarthydro_processed_readings_total\{outcome="stored"\} \d+/);
    expect(r.text).toContain('smarthydro_cache_hit_ratio');
    expect(r.text).toContain('smarthydro_bus_consumer_lag{group="smarthydro-processor"}');
  });
});
