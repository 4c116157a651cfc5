import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { store } from './query.support.js';
import { DAY_MS, HOUR_MS } from '../../src/lib/time.js';

let t: TestContext;
let pointId: number;
beforeAll(async () => {
  t = await createTestContext();
  pointId = (await seedTenant(t, 'Bounded', 1)).points[0]!;
  const now = Date.now();
  const readings = [];
  for (let h = 48; h >= 1; h--) {
    const ts = new Date(Math.floor((now - h * HOUR_MS) / HOUR_MS) * HOUR_MS);
    readings.push({ point_id: pointId, variable: 'totalizador', ts, value: 1000 + (48 - h) * 10 });
    readings.push({ point_id: pointId, variable: 'flow', ts, value: 2.5 });
  }
  await store(t.c.db, readings);
});
afterAll(async () => t.close());

const get = (url: string) => t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${pointId}${url}` });
const HUGE = 'from=0100-01-01&to=9999-12-31';

describe('every time range is clamped to the retention and now before any work', () => {
  it('GET /consumption?period=day over 0100..9999 answers at once, clamped to the retention', async () => {
    const started = Date.now();
    const r = await get(`/consumption?period=day&variable=totalizador&${HUGE}`);
    const took = Date.now() - started;
    expect(r.status, r.text).toBe(200);
    const retention = t.c.config.retentionDays;
    expect(Date.parse(r.body.from)).toBeGreaterThanOrEqual(Date.now() - (retention + 32) * DAY_MS);
    expect(Date.parse(r.body.to)).toBeLessThanOrEqual(Date.now() + 2 * HOUR_MS);
    expect(r.body.summary.volume_m3).toBe(470);
    expect(took).toBeLessThan(10_000);
  });

  it('period=day over 1900..2100 with a longer retention is refused by counting, not by listing the days', async () => {
    const started = Date.now();
    const long = await createTestContext({ config: { retentionDays: 100_000 } });
    try {
      const { points } = await seedTenant(long, 'Long', 1);
      const began = Date.now();
      const r = await long.as(long.adminToken, { method: 'GET', url: `/api/v1/points/${points[0]}/consumption?period=day&variable=totalizador&${HUGE}` });
      expect(r.status, r.text).toBe(400);
      expect(r.body).toMatchObject({ field: 'from', detail: expect.stringMatching(/at most 3700 periods/) });
      expect(Date.now() - began).toBeLessThan(1_000);
    } finally {
      await long.close();
    }
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a range wholly in the future or before the retention is a 400 naming the field', async () => {
    const future = await get('/consumption?from=2999-01-01&to=3000-01-01&variable=totalizador');
    expect([future.status, future.body.field]).toEqual([400, 'from']);
    const past = await get('/measurements?variable=flow&from=1900-01-01&to=1901-01-01');
    expect([past.status, past.body.field]).toEqual([400, 'to']);
  });

  it('bucket=auto over 0100..9999 chooses a coarse bucket instead of refusing', async () => {
    const r = await get(`/measurements?variable=flow&bucket=auto&${HUGE}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.bucket).toBe('7d');
    expect(r.body.items.length).toBeGreaterThan(0);
    expect(r.body.items.length).toBeLessThanOrEqual(2000);
  });

  it('bucket=1m as JSON over the retention is refused by arithmetic (400 naming bucket)', async () => {
    const r = await get(`/measurements?variable=flow&bucket=1m&${HUGE}`);
    expect([r.status, r.body.field]).toEqual([400, 'bucket']);
  });
});

describe('CSV exports', () => {
  it('at most two stream at once (429 beyond); an export the client abandons stops and frees its slot', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/api/v1/points/${pointId}/measurements?variable=flow&bucket=1m&format=csv&${HUGE}`;
    const open = async () => {
      const abort = new AbortController();
      const res = await fetch(url, { headers: { authorization: `Bearer ${t.adminToken}` }, signal: abort.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first.startsWith('point_id,variable,timestamp,avg')).toBe(true);
      return () => abort.abort();
    };
    let queries = 0;
    const db = t.c.db as { query: (...a: unknown[]) => Promise<unknown> };
    const query = db.query.bind(db);
    // A slow database: each query takes 5 ms, so the export of ten years of minutes (over a thousand
    // windows of 5,000 buckets) takes seconds.
    db.query = async (...a) => {
      queries++;
      await new Promise((r) => setTimeout(r, 5));
      return query(...a);
    };
    try {
      const closeA = await open();
      const closeB = await open();
      expect(t.c.series.activeExports).toBe(2);
      const third = await get(`/measurements?variable=flow&bucket=1h&format=csv`);
      expect([third.status, third.body.code]).toEqual([429, 'EXPORTS_BUSY']);

      closeA();
      closeB();
      for (let i = 0; i < 100 && t.c.series.activeExports > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(t.c.series.activeExports).toBe(0);
      // A whole export of ten years of minutes is over a thousand windows; an abandoned one stops.
      const after = queries;
      await new Promise((r) => setTimeout(r, 300));
      expect(queries - after).toBeLessThanOrEqual(1);
      expect(queries).toBeLessThan(500);

      const next = await get(`/measurements?variable=flow&bucket=1h&format=csv`);
      expect(next.status).toBe(200);
      expect(next.text.split('\n').length).toBeGreaterThan(20);
      expect(t.c.series.activeExports).toBe(0);
    } finally {
      db.query = query;
      t.app.server.closeAllConnections();
    }
  });
});
