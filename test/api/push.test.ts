import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { startProcessor } from '../../src/roles/processor.js';
import type { RunningRole } from '../../src/roles/api.js';

let t: TestContext;
let processor: RunningRole;
let mine: number[];
let other: number;
let clientToken: string;
let operatorToken: string;

const readings = (path: string) => `/api/v1/points/${path}/readings`;
const one = { variable: 'totalizador', ts: '2026-11-30T10:00:00Z', value: 1000 };

async function rowsOf(pointId: number): Promise<number> {
  const r = await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = $1', [pointId]);
  return r.rows[0]!.n;
}

/** Waits until the processor consumed everything published so far. */
async function drained(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await t.c.bus.lag(t.c.topics.processorGroup, [t.c.topics.raw])) === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('processor did not drain the raw topic');
}

beforeAll(async () => {
  t = await createTestContext();
  const a = await seedTenant(t, 'push-a', 3);
  const b = await seedTenant(t, 'push-b', 1);
  mine = a.points;
  other = b.points[0]!;
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'push', variables_config: templateConfig('nettra') } });
  for (const id of [...mine, other]) {
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${id}/schema`, payload: { template_id: tpl.body.id } });
  }
  await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${mine[2]}`, payload: { provider: 'push', provider_device: null } });
  ({ token: clientToken } = await seedClientUser(t, a.clientId, 'client@push.local', 'client-password'));
  await t.c.auth.createUser('system', { email: 'op@push.local', password: 'operator-password', role: 'operator' });
  operatorToken = await t.login('op@push.local', 'operator-password');
  processor = await startProcessor(t.c);
});
afterAll(async () => {
  await processor.stop();
  await t.close();
});

describe('POST /points/{id}/readings', () => {
  it('202 with the count once the bus took them; the processor stores them through the variable config', async () => {
    const r = await t.as(operatorToken, {
      method: 'POST',
      url: readings(String(mine[0])),
      payload: { readings: [one, { variable: 'totalizador', ts: '2026-11-30T07:01:00-03:00', value: '1100' }, { variable: 'caudal', ts: '2026-11-30T10:00:00Z', value: 36 }] },
    });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: 3 });
    await drained();
    const rows = await t.c.db.query<{ variable: string; value_numeric: number; provider: string }>(
      'SELECT variable, value_numeric, provider FROM measurements WHERE point_id = $1 ORDER BY variable, ts',
      [mine[0]],
    );
    // nettra template: 10 L per pulse, flow in m³/h → L/s
    expect(rows.rows).toEqual([
      { variable: 'caudal', value_numeric: 10, provider: 'push' },
      { variable: 'totalizador', value_numeric: 10, provider: 'push' },
      { variable: 'totalizador', value_numeric: 11, provider: 'push' },
    ]);
  });

  it('a single reading is accepted too', async () => {
    const r = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[0])), payload: { variable: 'caudal', ts: '2026-11-30T10:05:00Z', value: 72 } });
    expect(r).toMatchObject({ status: 202, body: { accepted: 1 } });
  });

  it('pushing the same readings twice stores them once', async () => {
    const payload = { readings: Array.from({ length: 50 }, (_, i) => ({ variable: 'caudal', ts: new Date(Date.UTC(2026, 10, 29, 0, i)).toISOString(), value: i })) };
    const before = await rowsOf(mine[1]!);
    for (let i = 0; i < 2; i++) {
      expect((await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[1])), payload })).status).toBe(202);
      await drained();
    }
    expect((await rowsOf(mine[1]!)) - before).toBe(50);
  });

  it('400 naming the reading and field; nothing is published', async () => {
    const before = await rowsOf(mine[1]!);
    const r = await t.as(t.adminToken, {
      method: 'POST',
      url: readings(String(mine[1])),
      payload: { readings: [{ ...one, ts: '2026-11-30T11:00:00Z' }, one, one, { ...one, ts: '2026-11-30T10:00:00' }] },
    });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'readings[3].ts' });
    expect(r.body.detail).toContain('readings[3].ts');
    await drained();
    expect(await rowsOf(mine[1]!)).toBe(before);
  });

  it('400 naming a variable the point does not have', async () => {
    const r = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[1])), payload: { readings: [one, { ...one, variable: 'presion' }] } });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('readings[1].variable');
    expect(r.body.detail).toContain('"presion"');
  });

  it('400 for bodies that are not JSON or too many readings', async () => {
    const bad = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[1])), payload: '{"readings":[', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    const many = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[1])), payload: { readings: Array.from({ length: 10_001 }, () => one) } });
    expect(many).toMatchObject({ status: 400, body: { field: 'readings' } });
  });

  it('takes 10,000 readings in one request', async () => {
    const payload = { readings: Array.from({ length: 10_000 }, (_, i) => ({ variable: 'caudal', ts: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(), value: i % 100 })) };
    const r = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[2])), payload });
    expect(r).toMatchObject({ status: 202, body: { accepted: 10_000 } });
  });

  it('503 when the bus does not take the readings (the client sends them again)', async () => {
    const spy = vi.spyOn(t.c.bus, 'publish').mockRejectedValueOnce(new Error('broker down'));
    try {
      const r = await t.as(t.adminToken, { method: 'POST', url: readings(String(mine[0])), payload: one });
      expect(r).toMatchObject({ status: 503, body: { code: 'BUS_UNAVAILABLE' } });
    } finally {
      spy.mockRestore();
    }
  });

  it('404 for an unknown point; 400 naming id for an id beyond any the API hands out', async () => {
    expect((await t.as(t.adminToken, { method: 'POST', url: readings('999999'), payload: one })).status).toBe(404);
    const huge = await t.as(t.adminToken, { method: 'POST', url: readings('100000000000000000000'), payload: one });
    expect([huge.status, huge.body.field]).toEqual([400, 'id']);
  });

  it('403 for a client user pushing with its session token', async () => {
    expect((await t.as(clientToken, { method: 'POST', url: readings(String(mine[0])), payload: one })).status).toBe(403);
  });
});

describe('ingest keys', () => {
  let key: string;

  it('a client user issues one for its own points, not for another client’s', async () => {
    const refused = await t.as(clientToken, { method: 'POST', url: '/api/v1/ingest-keys', payload: { name: 'logger', point_ids: [mine[0], other] } });
    expect(refused.status).toBe(404);
    const r = await t.as(clientToken, { method: 'POST', url: '/api/v1/ingest-keys', payload: { name: 'logger', point_ids: [mine[0]] } });
    expect(r.status).toBe(201);
    expect(r.body.point_ids).toEqual([mine[0]]);
    key = r.body.key;
    const listed = await t.as(clientToken, { method: 'GET', url: '/api/v1/api-keys' });
    expect(listed.body.items[0]).toMatchObject({ scope: 'ingest' });
  });

  it('pushes to its point', async () => {
    const r = await t.as(key, { method: 'POST', url: readings(String(mine[0])), payload: { ...one, ts: '2026-11-30T12:00:00Z' } });
    expect(r).toMatchObject({ status: 202, body: { accepted: 1 } });
  });

  it('may not push to other points, read anything or create keys', async () => {
    expect((await t.as(key, { method: 'POST', url: readings(String(mine[1])), payload: one })).status).toBe(403);
    expect((await t.as(key, { method: 'POST', url: readings(String(other)), payload: one })).status).toBe(403);
    for (const url of ['/api/v1/points', `/api/v1/points/${mine[0]}`, `/api/v1/points/${mine[0]}/latest`, '/api/v1/auth/me', '/api/v1/api-keys']) {
      expect((await t.as(key, { method: 'GET', url })).status, url).toBe(403);
    }
    expect((await t.as(key, { method: 'POST', url: '/api/v1/ingest-keys', payload: { name: 'x', point_ids: [mine[0]] } })).status).toBe(403);
  });

  it('stops working once revoked', async () => {
    const listed = await t.as(clientToken, { method: 'GET', url: '/api/v1/api-keys' });
    expect((await t.as(clientToken, { method: 'DELETE', url: `/api/v1/api-keys/${listed.body.items[0].id}` })).status).toBe(204);
    expect((await t.as(key, { method: 'POST', url: readings(String(mine[0])), payload: one })).status).toBe(401);
  });

  it('an ordinary API key of a client user still reads but may not push', async () => {
    const full = await t.as(clientToken, { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'reader' } });
    expect((await t.as(full.body.key, { method: 'GET', url: '/api/v1/points' })).status).toBe(200);
    expect((await t.as(full.body.key, { method: 'POST', url: readings(String(mine[0])), payload: one })).status).toBe(403);
  });
});

describe('points whose provider is push', () => {
  it('are not polled by the collector', async () => {
    const polled = (await t.c.collection.activePoints()).map((p) => p.id);
    expect(polled).toContain(mine[0]);
    expect(polled).not.toContain(mine[2]);
  });
});
