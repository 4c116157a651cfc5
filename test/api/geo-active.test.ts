import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';

let t: TestContext;
let santiago: number[];
let valparaiso: number[];
let projectId: number;
beforeAll(async () => {
  t = await createTestContext();
  const s = await seedTenant(t, 'santiago', 3, [-33.45, -70.66]); // 0, ~1.4 km, ~2.8 km apart
  santiago = s.points;
  projectId = s.projectId;
  valparaiso = (await seedTenant(t, 'valpo', 1, [-33.047, -71.612])).points; // ~100 km away
  // A point without coordinates must not break geo queries.
  await t.as(t.adminToken, { method: 'POST', url: '/api/v1/points', payload: { project_id: projectId, title: 'sin coordenadas' } });
});
afterAll(async () => t.close());

describe('geo queries', () => {
  it('finds points within a radius, nearest first, with distances in metres', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/near?lat=-33.45&lon=-70.66&radius_m=5000&limit=10' });
    expect(r.status).toBe(200);
    expect(r.body.items.map((p: any) => p.id)).toEqual(santiago);
    expect(r.body.total).toBe(3);
    const d = r.body.items.map((p: any) => p.distance_m);
    expect(d[0]).toBeLessThan(1);
    expect(d[1]).toBeGreaterThan(1300);
    expect(d[1]).toBeLessThan(1500);
    expect(d[2]).toBeGreaterThan(d[1]);
  });

  it('honours the limit and a radius that reaches Valparaíso', async () => {
    const limited = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/near?lat=-33.45&lon=-70.66&radius_m=200000&limit=2' });
    expect(limited.body.items).toHaveLength(2);
    expect(limited.body.total).toBe(4);
    const far = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/near?lat=-33.45&lon=-70.66&radius_m=200000&limit=10' });
    expect(far.body.items.at(-1).id).toBe(valparaiso[0]);
    expect(far.body.items.at(-1).distance_m).toBeGreaterThan(90_000);
    expect(far.body.items.at(-1).distance_m).toBeLessThan(120_000);
  });

  it('rejects bad geo parameters with the field named', async () => {
    const lat = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/near?lat=-95&lon=-70&radius_m=10' });
    expect(lat.status).toBe(400);
    expect(lat.body.detail).toBe('latitude must be between -90 and 90');
    const radius = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/near?lat=-33&lon=-70&radius_m=-1' });
    expect(radius.body.field).toBe('radius_m');
    const bbox = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points?bbox=1,2,3' });
    expect(bbox.body.field).toBe('bbox');
  });

  it('returns the points inside a bounding box, also as a GeoJSON FeatureCollection', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points?bbox=-70.7,-33.5,-70.6,-33.4' });
    expect(r.body.items.map((p: any) => p.id)).toEqual(santiago);
    const geo = await t.as(t.adminToken, {
      method: 'GET',
      url: '/api/v1/points?bbox=-72,-34,-70,-33',
      headers: { accept: 'application/geo+json' },
    });
    expect(geo.headers['content-type']).toContain('application/geo+json');
    expect(geo.body.type).toBe('FeatureCollection');
    expect(geo.body.features).toHaveLength(4);
    const f = geo.body.features[0];
    expect(f).toMatchObject({ type: 'Feature', id: santiago[0], geometry: { type: 'Point', coordinates: [-70.66, -33.45] } });
    expect(f.properties.title).toBe('santiago well 1');
  });

  it('uses the GiST indexes', async () => {
    await t.c.db.exec('SET enable_seqscan = off');
    const near = await t.c.db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM catchment_points p WHERE p.latitude IS NOT NULL
       AND earth_box(ll_to_earth(-33.45, -70.66), 5000) @> ll_to_earth(p.latitude::float8, p.longitude::float8)`,
    );
    expect(near.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('points_earth_gist');
    const box = await t.c.db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM catchment_points p WHERE p.latitude IS NOT NULL
       AND cube(ARRAY[p.longitude::float8, p.latitude::float8]) <@ cube(ARRAY[-71, -34]::float8[], ARRAY[-70, -33]::float8[])`,
    );
    expect(box.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('points_lonlat_gist');
    await t.c.db.exec('RESET enable_seqscan');
  });
});

describe('active points', () => {
  it('answers in the seed shape with filters', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active?frequency=5&provider=twin' });
    expect(r.status).toBe(200);
    expect(r.body.filters).toEqual({ frequency: 5, provider: 'twin' });
    expect(r.body.total).toBe(4);
    expect(r.body.points[0]).toMatchObject({ id: santiago[0], title: 'santiago well 1', provider: 'twin', frequency: 5 });
    const none = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active?provider=novus' });
    expect(none.body).toEqual({ points: [], total: 0, filters: { frequency: null, provider: 'novus' } });
    const bad = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active?frequency=2' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('frequency');
  });

  it('is served from the cache and invalidated at once by point, project, client and schema changes', async () => {
    const get = async () => (await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active' })).body;
    const before = await get();
    // A write that bypasses the services is not seen: the answer comes from the cache.
    await t.c.db.query("UPDATE catchment_points SET title = 'changed behind the cache' WHERE id = $1", [santiago[0]]);
    expect((await get()).points[0].title).toBe('santiago well 1');
    // Through the API, a point change is visible on the very next request.
    await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${santiago[1]}`, payload: { is_telemetry_active: false } });
    const after = await get();
    expect(after.total).toBe(before.total - 1);
    expect(after.points[0].title).toBe('changed behind the cache');
    // Project, client and schema changes invalidate too.
    for (const change of [
      { method: 'PATCH', url: `/api/v1/projects/${projectId}`, payload: { name: 'renamed' } },
      { method: 'PATCH', url: `/api/v1/clients/${after.points[0].client_id}`, payload: { name: 'renamed' } },
      { method: 'PUT', url: `/api/v1/points/${santiago[0]}/schema`, payload: { custom_config: { a: { kind: 'other', channel: 'a' } } } },
    ] as const) {
      await t.c.db.query('UPDATE catchment_points SET title = $1 WHERE id = $2', [`via ${change.url}`, santiago[0]]);
      const r = await t.as(t.adminToken, change as never);
      expect(r.status, change.url).toBe(200);
      expect((await get()).points[0].title, change.url).toBe(`via ${change.url}`);
    }
  });
});
