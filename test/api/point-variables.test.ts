import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { store } from './query.support.js';
import { dgaVariables } from '../../src/dga/slot-reading.js';
import { parseVariables } from '../../src/registry/variables.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';

/** The reports of one point (DGA, consumption) read its variables through registry/variables.ts. */
let t: TestContext;
let points: number[];
beforeAll(async () => {
  t = await createTestContext();
  ({ points } = await seedTenant(t, 'variables', 3));
});
afterAll(async () => t.close());

const hour = (h: number) => new Date(Date.UTC(2025, 4, 1, 4 + h));

describe('one totalizer per point', () => {
  it('DGA and consumption report the same of two totalizer variables', async () => {
    const p = points[0]!;
    const put = await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${p}/schema`,
      payload: { custom_config: { zz: { kind: 'totalizer', channel: 'a' }, aaa: { kind: 'totalizer', channel: 'b' } } },
    });
    expect(put.status).toBe(200);
    // The stored config comes back in jsonb order (shorter keys first), not in key order.
    const merged = (await t.c.schemas.mergedConfig(p)).merged_config as Record<string, unknown>;
    expect(Object.keys(merged)).toEqual(['zz', 'aaa']);
    await store(t.c.db, [0, 1, 2].flatMap((h) => [
      { point_id: p, variable: 'zz', ts: hour(h), value: 1000 + h * 50 },
      { point_id: p, variable: 'aaa', ts: hour(h), value: 10 + h },
    ]));

    // What the DGA reporter and the status summary read (the container gives them schemas.variables).
    const dga = dgaVariables(await t.c.schemas.variables(p));
    expect(dga).toEqual(dgaVariables(parseVariables(merged)));
    const consumption = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${p}/consumption?from=2025-05-01&to=2025-05-02&period=day` });
    expect(consumption.status).toBe(200);
    expect(consumption.body.variable).toBe(dga.totalizer);
    expect(dga.totalizer).toBe('aaa');
    expect(consumption.body.summary.volume_m3).toBe(2);
  });
});

describe('spike limit', () => {
  it("consumption applies the template's well_defaults.max_m3_per_hour, as the processor does", async () => {
    const p = points[1]!;
    const template = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/schema-templates',
      payload: {
        name: 'small well',
        well_defaults: { max_m3_per_hour: 10 },
        variables_config: { tot: { kind: 'totalizer', channel: 'tot', unit: 'm3' } },
      },
    });
    expect(template.status).toBe(201);
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${p}/schema`, payload: { template_id: template.body.id } });
    // +5 m³/h, then a +100 m³ glitch that the next reading takes back: implausible above 10 m³/h.
    await store(t.c.db, [0, 5, 10, 110, 15].map((value, h) => ({ point_id: p, variable: 'tot', ts: hour(h), value })));

    const r = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${p}/consumption?from=2025-05-01&to=2025-05-02&period=day` });
    expect(r.status).toBe(200);
    expect(r.body.summary).toMatchObject({ volume_m3: 15, spikes_ignored: 1, resets: 0 });

    // The processor, given the same counter on a point of the same template, flags the same reading.
    const q = points[2]!;
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${q}/schema`, payload: { template_id: template.body.id } });
    const readings = [0, 5, 10, 110].map((raw, h) => ({ variable: 'tot', ts: hour(h).toISOString(), raw }));
    const messages = encodeRawBatches({ point_id: q, provider: 'twin', collected_at: hour(4).toISOString() }, readings)
      .map((m, i) => ({ ...m, topic: 'telemetry.raw.v1', partition: 0, offset: BigInt(i) }));
    expect((await t.c.processor.handleBatch(messages)).stored).toBe(4);
    const flags = await t.c.db.query<{ quality_flags: string[] }>(
      'SELECT quality_flags FROM measurements WHERE point_id = $1 AND variable = $2 ORDER BY ts',
      [q, 'tot'],
    );
    expect(flags.rows.map((r) => r.quality_flags.includes('spike'))).toEqual([false, false, false, true]);
  });
});

describe('GET /points/{id}/variables', () => {
  it('describes the variables with their roles and stored units, within the caller\'s tenant', async () => {
    const p = points[1]!;
    const put = await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${p}/schema`,
      payload: { custom_config: { caudal: { kind: 'flow', channel: 'f', unit: 'm3/h', label: 'Caudal' }, pulsos: { kind: 'pulses', channel: 'p' } } },
    });
    expect(put.status).toBe(200);
    const r = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${p}/variables` });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [
        { variable: 'caudal', label: 'Caudal', kind: 'flow', role: 'flow', unit: 'L/s' },
        // The seeded point's own totalizer wins over pulses (totalizerOf).
        { variable: 'pulsos', label: 'pulsos', kind: 'pulses', role: null, unit: null },
        { variable: 'tot', label: 'tot', kind: 'totalizer', role: 'totalizer', unit: 'm3' },
      ],
      total: 3,
    });
    const other = await seedTenant(t, 'variables-other', 1);
    const { token } = await seedClientUser(t, other.clientId, 'var-client@test.local', 'client-password-1');
    const hidden = await t.as(token, { method: 'GET', url: `/api/v1/points/${p}/variables` });
    expect(hidden.status).toBe(404);
    expect((await t.as(null, { method: 'GET', url: `/api/v1/points/${p}/variables` })).status).toBe(401);
  });
});

describe('variables of a batch of points', () => {
  it('variablesOf reads what variables reads, caches the points it loads, keeps parsed copies and sees a schema change', async () => {
    const [a, b] = [points[0]!, points[2]!];
    await t.c.cache.invalidate('point-config');
    const missesBefore = t.c.cache.stats.misses;
    // The points a batch misses are loaded with one query, not one each.
    const sql: string[] = [];
    const query = t.c.db.query.bind(t.c.db);
    t.c.db.query = ((text: string, params?: unknown[]) => {
      sql.push(text);
      return query(text, params);
    }) as typeof t.c.db.query;
    const many = await t.c.schemas.variablesOf([a, b, a, 987_654_321]).finally(() => (t.c.db.query = query));
    expect(sql.filter((q) => q.includes('FROM dynamic_schemas'))).toHaveLength(1);
    expect(t.c.cache.stats.misses - missesBefore).toBe(3); // a, b and the unknown point, once each
    expect([...many.keys()]).toEqual([a, b, 987_654_321]);
    expect(many.get(a)).toEqual(await t.c.schemas.variables(a));
    expect(many.get(b)).toEqual(await t.c.schemas.variables(b));
    expect([...many.get(987_654_321)!.byKey.keys()]).toEqual([]);

    // Asked again with no registry change announced: answered from this process's parsed copies, no cache read.
    const readsBefore = t.c.cache.stats.hits + t.c.cache.stats.misses;
    await t.c.schemas.variablesOf([a, b]);
    expect(t.c.cache.stats.hits + t.c.cache.stats.misses).toBe(readsBefore);

    const put = await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${b}/schema`, payload: { custom_config: { q2: { kind: 'flow', channel: 'q2' } } } });
    expect(put.status).toBe(200);
    expect((await t.c.schemas.variablesOf([b])).get(b)!.byKey.has('q2')).toBe(true);
  });
});
