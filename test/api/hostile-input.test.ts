import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';

let t: TestContext;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await createTestContext();
  tenant = await seedTenant(t, 'Hostile', 2);
});
afterAll(async () => t.close());

const api = (method: string, url: string, payload?: unknown) =>
  t.as(t.adminToken, { method: method as 'GET', url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }) });

/** A 400 problem naming `field`. */
function expect400(r: { status: number; body: any; text: string }, field: string) {
  expect(r.status, r.text).toBe(400);
  expect(r.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field });
}

describe('integers beyond the ids the API hands out are refused at the edge (400, never "bigint out of range")', () => {
  it.each([
    ['GET', '/points/1e20', 'id'],
    ['GET', '/points/99999999999999999999', 'id'],
    ['GET', '/points/9007199254740993', 'id'],
    ['DELETE', '/points/0x10', 'id'],
    ['GET', '/points/%2016', 'id'],
    ['GET', '/points/-1', 'id'],
    ['GET', '/projects?client_id=1e20', 'client_id'],
    ['GET', '/dga/submissions?point_id=1e20', 'point_id'],
    ['GET', '/points?limit=0x10', 'limit'],
    ['GET', '/points?offset=100000000000', 'offset'],
    ['GET', '/points/near?lat=1e20&lon=0&radius_m=10', 'lat'],
    ['GET', '/points/near?lat=-91&lon=0&radius_m=10', 'latitude'],
    ['GET', '/points/near?lat=0&lon=0&radius_m=1e3', 'radius_m'],
  ])('%s %s → 400 naming %s', async (method, url, field) => {
    expect400(await api(method, url), field);
  });

  it('a hex id never reaches a point: DELETE /points/0x10 leaves point 16 alone', async () => {
    const r = await api('DELETE', `/points/0x${tenant.points[0]!.toString(16)}`);
    expect400(r, 'id');
    expect((await api('GET', `/points/${tenant.points[0]}`)).status).toBe(200);
  });

  it('"client_id": 1e20 in a body → 400', async () => {
    expect400(await api('POST', '/projects', { client_id: 1e20, name: 'x' }), 'client_id');
    expect400(await api('POST', '/projects', { client_id: 2 ** 53, name: 'x' }), 'client_id');
  });
});

describe('NUL bytes are refused naming the field (PostgreSQL text cannot hold them)', () => {
  it('in a JSON body, a query string and a path', async () => {
    const login = await t.as(null, { method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a\u0000@x.cl', password: 'x' } });
    expect400(login, 'email');
    expect(login.body.detail).toMatch(/NUL/);
    expect400(await api('GET', '/points?q=%00'), 'q');
    expect400(await api('GET', '/clients?q=a%00b'), 'q');
    expect400(await api('PUT', `/points/${tenant.points[0]}/schema`, { custom_config: { wells: { 'na\u0000me': 1 } } }), 'custom_config.wells');
    expect400(await api('PUT', `/points/${tenant.points[0]}/schema`, { custom_config: { note: ['ok', 'x\u0000'] } }), 'custom_config.note[1]');
  });
});

describe('numbers beyond their column are refused (400, never "numeric field overflow")', () => {
  it.each([
    ['initial_meter_reading', 1e20],
    ['dga_granted_flow', 1e20],
    ['dga_annual_volume', 1e20],
    ['well_depth', 1e20],
    ['well_depth', 1_000_000],
    ['latitude', 1e20],
  ])('PATCH /points/{id} {"%s": %s} → 400', async (field, value) => {
    expect400(await api('PATCH', `/points/${tenant.points[0]}`, { [field]: value }), field);
  });

  it('the largest value each column holds is accepted', async () => {
    const r = await api('PATCH', `/points/${tenant.points[0]}`, { well_depth: 999999.99, initial_meter_reading: 999999999999.999, dga_granted_flow: 999999999.999 });
    expect(r.status, r.text).toBe(200);
    expect(r.body.well_depth).toBe(999999.99);
  });
});

describe('values the database would refuse by constraint', () => {
  it('"dga_code": "" → 400 naming dga_code; a well-formed code is stored', async () => {
    expect400(await api('PATCH', `/points/${tenant.points[0]}`, { dga_code: '' }), 'dga_code');
    expect400(await api('PATCH', `/points/${tenant.points[0]}`, { dga_code: 'OB-06-7' }), 'dga_code');
    const r = await api('PATCH', `/points/${tenant.points[0]}`, { dga_code: 'OB-0602-7' });
    expect(r.status, r.text).toBe(200);
  });

  it('a second empty code_internal is stored as none, not a unique violation', async () => {
    const a = await api('POST', '/projects', { client_id: tenant.clientId, name: 'first', code_internal: '' });
    const b = await api('POST', '/projects', { client_id: tenant.clientId, name: 'second', code_internal: '' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.body.code_internal, b.body.code_internal]).toEqual([null, null]);
    const c = await api('PATCH', `/projects/${a.body.id}`, { code_internal: '  ' });
    expect(c.status, c.text).toBe(200);
    expect(c.body.code_internal).toBeNull();
  });
});

describe('search text is matched literally', () => {
  it('?q=% and ?q=_ match only titles and names holding those characters', async () => {
    expect((await api('GET', '/points?q=%25')).body.total).toBe(0);
    expect((await api('GET', '/points?q=_')).body.total).toBe(0);
    expect((await api('GET', '/clients?q=%25')).body.total).toBe(0);
    expect((await api('GET', '/clients?q=_')).body.total).toBe(0);
    await api('PATCH', `/points/${tenant.points[1]}`, { title: 'Pozo 100% _norte_' });
    const pct = await api('GET', '/points?q=0%25%20_n');
    expect(pct.body.items.map((p: { id: number }) => p.id)).toEqual([tenant.points[1]]);
    expect((await api('GET', '/points?q=hostile')).body.total).toBe(1);
  });
});

describe('deeply nested JSON', () => {
  const nested = (depth: number) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  it.each([1_000, 10_000, 100_000])('a custom_config %i levels deep → 400, nothing stored', async (depth) => {
    // Built as text: JSON.stringify itself cannot serialise 10,000 levels.
    const payload = `{"custom_config":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    const r = await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${tenant.points[0]}/schema`,
      headers: { 'content-type': 'application/json' },
      payload,
    });
    expect(r.status, r.text).toBe(400);
    expect(r.body.detail).toMatch(/deeper than 32/);
    const stored = await api('GET', `/points/${tenant.points[0]}/schema`);
    expect(JSON.stringify(stored.body.custom_config).length).toBeLessThan(1000);
  });
  it('a config a few levels deep is still accepted', async () => {
    const r = await api('PUT', `/points/${tenant.points[0]}/schema`, { custom_config: { notes: nested(10) } });
    expect(r.status, r.text).toBe(200);
  });
});

describe('the OpenAPI document', () => {
  it('is valid for @apidevtools/swagger-parser', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it('does not mark limit and offset (they have defaults) as required', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
    };
    const required: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const p of op.parameters ?? []) {
          if (p.in === 'query' && ['limit', 'offset', 'bucket', 'period'].includes(p.name) && p.required) required.push(`${method} ${path} ${p.name}`);
        }
      }
    }
    expect(doc.paths["/api/v1/points"]!.get!.parameters!.some((p) => p.name === 'limit')).toBe(true);
    expect(required).toEqual([]);
  });

  it('documents ids as bounded integers', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const id = doc.paths['/api/v1/points/{id}'].get.parameters.find((p: { name: string }) => p.name === 'id');
    expect(id.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
  });
});

describe('a 10 MB body', () => {
  const big = 'x'.repeat(10 * 1024 * 1024);
  it.each([
    ['POST', '/clients', { name: big, rut: '76086428-5' }],
    ['PATCH', '/points/{point}', { title: big }],
    ['POST', '/points/{point}/readings', { readings: [{ variable: 'caudal', ts: '2026-12-01T10:00:00Z', value: big }] }],
    ['POST', '/points/{point}/corrections', { variable: 'caudal', ts: '2026-12-01T10:00:00Z', value: 1, reason: big }],
  ])('%s %s is refused with 413 before it is read whole, and the API keeps answering', async (method, url, payload) => {
    const r = await api(method, url.replace('{point}', String(tenant.points[0])), payload);
    expect(r.status, r.text.slice(0, 200)).toBe(413);
    expect(r.body).toMatchObject({ status: 413 });
    expect((await api('GET', `/points/${tenant.points[0]}`)).status).toBe(200);
  });
});
