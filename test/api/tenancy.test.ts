import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, nextRut, seedClientUser, seedTenant, type TestContext } from '../support/context.js';

/**
 * A client user must never read or change another client's clients, projects, points or schemas,
 * and lists must never leak them. Every registry endpoint is tried.
 */
let t: TestContext;
let mine: Awaited<ReturnType<typeof seedTenant>>;
let theirs: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;
let templateId: number;

beforeAll(async () => {
  t = await createTestContext();
  mine = await seedTenant(t, 'mine', 3, [-33.45, -70.66]);
  theirs = await seedTenant(t, 'theirs', 3, [-33.46, -70.67]);
  const user = await seedClientUser(t, mine.clientId, 'viewer@mine.cl', 'viewer-password');
  expect(user.created.text).not.toContain('viewer-password');
  expect(user.created.body).not.toHaveProperty('password_hash');
  clientToken = user.token;
  const tpl = await t.as(t.adminToken, {
    method: 'POST',
    url: '/api/v1/schema-templates',
    payload: { name: 'tenancy', variables_config: { caudal: { kind: 'flow', channel: 'caudal' } } },
  });
  templateId = tpl.body.id;
});
afterAll(async () => t.close());

const ids = (body: any) => (body.items ?? body.points ?? body.features).map((x: any) => x.id);

describe('a client user', () => {
  it('lists only its own client, projects and points', async () => {
    const clients = await t.as(clientToken, { method: 'GET', url: '/api/v1/clients' });
    expect(ids(clients.body)).toEqual([mine.clientId]);
    expect(clients.body.total).toBe(1);
    const projects = await t.as(clientToken, { method: 'GET', url: '/api/v1/projects' });
    expect(ids(projects.body)).toEqual([mine.projectId]);
    const points = await t.as(clientToken, { method: 'GET', url: '/api/v1/points?limit=1000' });
    expect(ids(points.body).sort()).toEqual([...mine.points].sort());
    expect(points.body.total).toBe(3);
    const filtered = await t.as(clientToken, { method: 'GET', url: `/api/v1/points?client_id=${theirs.clientId}` });
    expect(filtered.body.items).toEqual([]);
    const byProject = await t.as(clientToken, { method: 'GET', url: `/api/v1/projects?client_id=${theirs.clientId}` });
    expect(byProject.body.items).toEqual([]);
  });

  it('sees only its own points in active, near, bbox and GeoJSON answers', async () => {
    const active = await t.as(clientToken, { method: 'GET', url: '/api/v1/points/active' });
    expect(ids(active.body).sort()).toEqual([...mine.points].sort());
    expect(active.body.total).toBe(3);
    const near = await t.as(clientToken, { method: 'GET', url: '/api/v1/points/near?lat=-33.45&lon=-70.66&radius_m=50000' });
    expect(ids(near.body).sort()).toEqual([...mine.points].sort());
    const bbox = await t.as(clientToken, { method: 'GET', url: '/api/v1/points?bbox=-71,-34,-70,-33' });
    expect(ids(bbox.body).sort()).toEqual([...mine.points].sort());
    const geo = await t.as(clientToken, {
      method: 'GET',
      url: '/api/v1/points?bbox=-71,-34,-70,-33',
      headers: { accept: 'application/geo+json' },
    });
    expect(ids(geo.body).sort()).toEqual([...mine.points].sort());
    // The admin's cached answer must not be served to the client user, nor the other way round.
    const adminActive = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active' });
    expect(adminActive.body.total).toBe(6);
  });

  it('gets 404 for every other tenant resource, read or write', async () => {
    const other = theirs.points[0]!;
    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/v1/clients/${theirs.clientId}`],
      ['PATCH', `/api/v1/clients/${theirs.clientId}`, { name: 'x' }],
      ['DELETE', `/api/v1/clients/${theirs.clientId}`],
      ['GET', `/api/v1/projects/${theirs.projectId}`],
      ['PATCH', `/api/v1/projects/${theirs.projectId}`, { name: 'x' }],
      ['DELETE', `/api/v1/projects/${theirs.projectId}`],
      ['GET', `/api/v1/points/${other}`],
      ['PATCH', `/api/v1/points/${other}`, { title: 'x' }],
      ['DELETE', `/api/v1/points/${other}`],
      ['GET', `/api/v1/points/${other}/schema`],
      ['PUT', `/api/v1/points/${other}/schema`, { custom_config: {} }],
    ];
    for (const [method, url, payload] of attempts) {
      const r = await t.as(clientToken, { method: method as 'GET', url, ...(payload ? { payload: payload as object } : {}) });
      // Writes are refused for client users either way; reads of other tenants must look absent.
      expect([403, 404], `${method} ${url}`).toContain(r.status);
      if (method === 'GET') expect(r.status, `${method} ${url}`).toBe(404);
      expect(r.text).not.toContain('theirs');
    }
    const stillThere = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${other}` });
    expect(stillThere.body.title).toBe('theirs well 1');
  });

  it('reads its own point and schema but cannot change the registry', async () => {
    const own = mine.points[0]!;
    expect((await t.as(clientToken, { method: 'GET', url: `/api/v1/points/${own}` })).status).toBe(200);
    expect((await t.as(clientToken, { method: 'GET', url: `/api/v1/points/${own}/schema` })).status).toBe(200);
    const writes: [string, string, unknown?][] = [
      ['POST', '/api/v1/clients', { name: 'x', rut: nextRut() }],
      ['PATCH', `/api/v1/clients/${mine.clientId}`, { name: 'x' }],
      ['POST', '/api/v1/projects', { client_id: mine.clientId, name: 'x' }],
      ['PATCH', `/api/v1/projects/${mine.projectId}`, { name: 'x' }],
      ['POST', '/api/v1/points', { project_id: mine.projectId, title: 'x' }],
      ['PATCH', `/api/v1/points/${own}`, { title: 'x' }],
      ['DELETE', `/api/v1/points/${own}`],
      ['PUT', `/api/v1/points/${own}/schema`, { custom_config: {} }],
      ['POST', '/api/v1/schema-templates', { name: 'x' }],
      ['PATCH', `/api/v1/schema-templates/${templateId}`, { name: 'y' }],
      ['DELETE', `/api/v1/schema-templates/${templateId}`],
      ['POST', '/api/v1/users', { email: 'x@y.cl', password: '12345678', role: 'admin' }],
    ];
    for (const [method, url, payload] of writes) {
      const r = await t.as(clientToken, { method: method as 'POST', url, ...(payload ? { payload: payload as object } : {}) });
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.code).toBe('FORBIDDEN');
    }
    for (const url of ['/api/v1/schema-templates', `/api/v1/schema-templates/${templateId}`, '/api/v1/users']) {
      expect((await t.as(clientToken, { method: 'GET', url })).status, url).toBe(403);
    }
  });

  it('an operator manages the registry but not users', async () => {
    await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: 'op@sh.cl', password: 'operator-pw', role: 'operator' } });
    const op = await t.login('op@sh.cl', 'operator-pw');
    expect((await t.as(op, { method: 'POST', url: '/api/v1/clients', payload: { name: 'Op client', rut: nextRut() } })).status).toBe(201);
    expect((await t.as(op, { method: 'GET', url: '/api/v1/points?limit=1000' })).body.total).toBe(6);
    expect((await t.as(op, { method: 'POST', url: '/api/v1/users', payload: { email: 'z@y.cl', password: '12345678', role: 'admin' } })).status).toBe(403);
  });
});
