import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, nextRut, seedTenant, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('clients', () => {
  it('creates, reads, updates, lists and deletes a client; RUT normalised', async () => {
    const created = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/clients',
      payload: { name: 'Agrícola Uno', rut: '12.345.678-5', email: 'a@uno.cl' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Agrícola Uno', rut: '12345678-5', email: 'a@uno.cl' });
    expect(typeof created.body.id).toBe('number');
    const id = created.body.id;
    const patched = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/clients/${id}`, payload: { phone: '+56 9 1234 5678' } });
    expect(patched.body.phone).toBe('+56 9 1234 5678');
    const list = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/clients?limit=10&offset=0' });
    expect(list.body.items.some((c: any) => c.id === id)).toBe(true);
    expect(list.body.total).toBeGreaterThanOrEqual(1);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/clients/${id}` })).status).toBe(204);
    expect((await t.as(t.adminToken, { method: 'GET', url: `/api/v1/clients/${id}` })).status).toBe(404);
  });

  it('rejects a bad RUT with problem+json naming the field', async () => {
    const r = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'X', rut: '12345678-4' } });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', field: 'rut' });
    expect(r.body.detail).toContain('not a valid RUT');
  });

  it('rejects a missing field and an unknown field by name', async () => {
    const missing = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'X' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ field: 'rut', detail: 'rut is required' });
    const extra = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'X', rut: nextRut(), colour: 'red' } });
    expect(extra.status).toBe(400);
    expect(extra.body.field).toBe('colour');
  });

  it('refuses a duplicate RUT with 409 and a client with projects with 409', async () => {
    const rut = nextRut();
    await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'A', rut } });
    const dup = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/clients', payload: { name: 'B', rut } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CLIENT_RUT_TAKEN');
    const s = await seedTenant(t, 'busy', 0);
    const del = await t.as(t.adminToken, { method: 'DELETE', url: `/api/v1/clients/${s.clientId}` });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('CLIENT_HAS_PROJECTS');
  });
});

describe('points', () => {
  let projectId: number;
  beforeAll(async () => {
    projectId = (await seedTenant(t, 'points-tenant', 0)).projectId;
  });

  const create = (payload: Record<string, unknown>) =>
    t.as(t.adminToken, { method: 'POST', url: '/api/v1/points', payload: { project_id: projectId, title: 'Pozo', ...payload } });

  it('stores coordinates as numbers with 8 decimals', async () => {
    const r = await create({ latitude: -33.456789123, longitude: -70.123456789 });
    expect(r.status).toBe(201);
    expect(r.body.latitude).toBe(-33.45678912);
    expect(r.body.longitude).toBe(-70.12345679);
    const raw = await t.c.db.query<{ t: string }>('SELECT pg_typeof(latitude)::text AS t FROM catchment_points WHERE id = $1', [r.body.id]);
    expect(raw.rows[0]!.t).toBe('numeric');
  });

  it('validates coordinates: range and both-or-neither, naming the field', async () => {
    const lat = await create({ latitude: -91, longitude: -70 });
    expect(lat.status).toBe(400);
    expect(lat.body).toMatchObject({ field: 'latitude', detail: 'latitude must be between -90 and 90' });
    const lon = await create({ latitude: -33, longitude: 181 });
    expect(lon.body).toMatchObject({ field: 'longitude', detail: 'longitude must be between -180 and 180' });
    const one = await create({ latitude: -33 });
    expect(one.status).toBe(400);
    expect(one.body.field).toBe('longitude');
    const str = await create({ latitude: 'abc', longitude: -70 });
    expect(str.status).toBe(400);
    expect(str.body.field).toBe('latitude');
  });

  it('checks the PATCHed point as a whole (removing one coordinate is refused)', async () => {
    const r = await create({ latitude: -33, longitude: -70 });
    const p = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${r.body.id}`, payload: { latitude: null } });
    expect(p.status).toBe(400);
    expect(p.body).toMatchObject({ field: 'latitude', detail: 'latitude is required when longitude is given (both or neither)' });
    const both = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${r.body.id}`, payload: { latitude: null, longitude: null } });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ latitude: null, longitude: null });
  });

  it('validates enums, provider requirement and DGA fields', async () => {
    expect((await create({ frequency: 7 })).body.field).toBe('frequency');
    expect((await create({ is_telemetry_active: true })).body).toMatchObject({ field: 'provider' });
    expect((await create({ dga_code: 'XX-1' })).body).toMatchObject({ field: 'dga_code' });
    expect((await create({ dga_informant_rut: '11111111-2' })).body).toMatchObject({ field: 'dga_informant_rut' });
    const dga = await create({ dga_send: true, dga_standard: 'MAYOR' });
    expect(dga.status).toBe(400);
    expect(dga.body.detail).toContain('dga_type');
    expect(dga.body.detail).toContain('dga_password');
  });

  const sending = {
    dga_send: true,
    dga_standard: 'MAYOR',
    dga_type: 'SUPERFICIAL',
    dga_code: 'OB-0602-7',
    dga_informant_rut: '20999888-2',
    dga_company_rut: '77555666-8',
    dga_password: 'dga-pass-123',
  };

  it('refuses dga_send without dga_start_date on POST and PATCH, naming the field', async () => {
    const post = await create(sending);
    expect(post.status).toBe(400);
    expect(post.headers['content-type']).toContain('application/problem+json');
    expect(post.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'dga_start_date' });

    const off = await create({ ...sending, dga_send: false });
    expect(off.status).toBe(201);
    const patch = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${off.body.id}`, payload: { dga_send: true } });
    expect(patch.status).toBe(400);
    expect(patch.body).toMatchObject({ field: 'dga_start_date' });
    const fixed = await t.as(t.adminToken, {
      method: 'PATCH',
      url: `/api/v1/points/${off.body.id}`,
      payload: { dga_send: true, dga_start_date: '2026-06-01' },
    });
    expect(fixed.status).toBe(200);
  });

  it('stores the legacy standard SIN_ESTANDAR as MAYOR', async () => {
    const r = await create({ ...sending, dga_start_date: '2026-06-01', dga_standard: 'SIN_ESTANDAR' });
    expect(r.status).toBe(201);
    expect(r.body.dga_standard).toBe('MAYOR');
    const patched = await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${r.body.id}`, payload: { dga_standard: 'SIN_ESTANDAR' } });
    expect(patched.status).toBe(200);
    expect(patched.body.dga_standard).toBe('MAYOR');
    expect((await create({ ...sending, dga_start_date: '2026-06-01', dga_standard: 'OTRO' })).body.field).toBe('dga_standard');
  });

  it('refuses what the DGA reporter would refuse: a granted flow of 0', async () => {
    const r = await create({ ...sending, dga_start_date: '2026-06-01', dga_granted_flow: 0 });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('dga_granted_flow');
  });

  it('a point the API accepts with dga_send on is one the reporter finds complete', async () => {
    const r = await create({ ...sending, dga_start_date: '2026-06-01' });
    expect(r.status).toBe(201);
    await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${r.body.id}/schema`,
      payload: { custom_config: { totalizador: { kind: 'totalizer', channel: 'tot' } } },
    });
    // The status summary runs the reporter's checks (parseDgaConfig and the point's variables).
    const status = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dga/status' });
    expect(status.status).toBe(200);
    expect(status.body.config_problems.map((p: { point_id: number }) => p.point_id)).not.toContain(r.body.id);
    // Without the start date (written behind the API's back) the same point cannot report.
    await t.c.db.query('UPDATE catchment_points SET dga_start_date = NULL WHERE id = $1', [r.body.id]);
    const after = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dga/status' });
    const problem = after.body.config_problems.find((p: { point_id: number }) => p.point_id === r.body.id);
    expect(problem.problems.join(' ')).toContain('startDate');
  });

  it('encrypts credentials at rest and never returns them', async () => {
    const r = await create({
      provider: 'nettra',
      provider_token: 'very-secret-thing-token',
      dga_send: true,
      dga_standard: 'MAYOR',
      dga_type: 'SUBTERRANEO',
      dga_code: 'OB-0602-7',
      dga_informant_rut: '20.999.888-2',
      dga_company_rut: '77555666-8',
      dga_password: 'dga-pass-123',
      dga_start_date: '2026-06-01',
    });
    expect(r.status).toBe(201);
    expect(r.text).not.toContain('very-secret-thing-token');
    expect(r.text).not.toContain('dga-pass-123');
    expect(r.body).toMatchObject({ has_provider_token: true, has_dga_password: true, dga_informant_rut: '20999888-2' });
    expect(r.body).not.toHaveProperty('provider_token_enc');
    const stored = await t.c.db.query<{ provider_token_enc: string; dga_password_enc: string }>(
      'SELECT provider_token_enc, dga_password_enc FROM catchment_points WHERE id = $1',
      [r.body.id],
    );
    expect(stored.rows[0]!.provider_token_enc).not.toContain('very-secret');
    expect(t.c.secrets.decrypt(stored.rows[0]!.provider_token_enc)).toBe('very-secret-thing-token');
    expect(t.c.secrets.decrypt(stored.rows[0]!.dga_password_enc)).toBe('dga-pass-123');
    const list = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points?project_id=${projectId}&limit=1000` });
    expect(list.text).not.toContain('very-secret-thing-token');
  });

  it('pages lists with limit and offset and rejects an out-of-range limit', async () => {
    const page1 = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points?project_id=${projectId}&limit=2&offset=0` });
    const page2 = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points?project_id=${projectId}&limit=2&offset=2` });
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.total).toBe(page2.body.total);
    expect(page1.body.items[0].id).not.toBe(page2.body.items[0].id);
    const bad = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points?limit=5000' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('limit');
  });
});

describe('schemas and deep merge through the API', () => {
  it('merges a point custom config over its template; template changes reach the point', async () => {
    const tpl = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/schema-templates',
      payload: {
        name: 'Pozo estándar',
        category: 'pozo',
        variables_config: {
          caudal: { label: 'Caudal', kind: 'flow', unit: 'L/s', channel: 'caudal', processing: { scale: 1, valid_range: { min: 0, max: 100 } } },
          nivel: { label: 'Nivel', kind: 'level', unit: 'm', channel: 'nivel' },
        },
      },
    });
    expect(tpl.status).toBe(201);
    const { points } = await seedTenant(t, 'schema-tenant', 1);
    const pointId = points[0]!;
    const put = await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${pointId}/schema`,
      payload: { template_id: tpl.body.id, custom_config: { caudal: { processing: { scale: 2 } }, nivel: null } },
    });
    expect(put.status).toBe(200);
    expect(put.body.merged_config).toEqual({
      caudal: { label: 'Caudal', kind: 'flow', unit: 'L/s', channel: 'caudal', processing: { scale: 2, valid_range: { min: 0, max: 100 } } },
    });
    await t.as(t.adminToken, {
      method: 'PATCH',
      url: `/api/v1/schema-templates/${tpl.body.id}`,
      payload: { variables_config: { caudal: { kind: 'flow', channel: 'flow', unit: 'm3/h' } } },
    });
    const after = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${pointId}/schema` });
    expect(after.body.merged_config).toEqual({ caudal: { kind: 'flow', channel: 'flow', unit: 'm3/h', processing: { scale: 2 } } });
    const merged = await t.c.schemas.mergedConfig(pointId);
    expect(merged.merged_config).toEqual(after.body.merged_config);
  });

  it('rejects a variable without a channel', async () => {
    const r = await t.as(t.adminToken, {
      method: 'POST',
      url: '/api/v1/schema-templates',
      payload: { name: 'broken', variables_config: { caudal: { kind: 'flow' } } },
    });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('variables_config.caudal.channel');
  });
});

describe('provider accounts', () => {
  const url = '/api/v1/provider-accounts';

  it('creates, lists, updates and deletes an account; the password is stored encrypted and never returned', async () => {
    const created = await t.as(t.adminToken, {
      method: 'POST',
      url,
      payload: { provider: 'twin', name: 'main', base_url: 'https://twin.example/api', username: 'u', password: 'twin-secret-1', is_default: true },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: 'twin', name: 'main', has_password: true, is_default: true });
    expect(created.text).not.toContain('twin-secret-1');
    const second = await t.as(t.adminToken, {
      method: 'POST',
      url,
      payload: { provider: 'twin', name: 'backup', base_url: 'https://twin2.example/api', is_default: true },
    });
    expect(second.status).toBe(201);
    // One default per provider: the new default displaces the old one.
    expect((await t.as(t.adminToken, { method: 'GET', url: `${url}/${created.body.id}` })).body.is_default).toBe(false);
    const accounts = await t.c.providerAccounts.forCollection();
    expect(accounts.byId.get(created.body.id)?.password).toBe('twin-secret-1');
    expect(accounts.defaults.get('twin')).toBe(second.body.id);

    const list = await t.as(t.adminToken, { method: 'GET', url });
    expect(list.body.total).toBeGreaterThanOrEqual(2);
    const patched = await t.as(t.adminToken, { method: 'PATCH', url: `${url}/${created.body.id}`, payload: { password: null } });
    expect(patched.body.has_password).toBe(false);
    expect((await t.as(t.adminToken, { method: 'DELETE', url: `${url}/${second.body.id}` })).status).toBe(204);
    expect((await t.as(t.adminToken, { method: 'GET', url: `${url}/${second.body.id}` })).status).toBe(404);
  });

  it('accepts only providers with an API, and refuses a duplicate name with 409', async () => {
    const push = await t.as(t.adminToken, { method: 'POST', url, payload: { provider: 'push', name: 'p', base_url: 'https://p.example' } });
    expect(push.status).toBe(400);
    expect(push.body.field).toBe('provider');
    const payload = { provider: 'novus', name: 'same', base_url: 'https://novus.example' };
    expect((await t.as(t.adminToken, { method: 'POST', url, payload })).status).toBe(201);
    const dup = await t.as(t.adminToken, { method: 'POST', url, payload });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('PROVIDER_ACCOUNT_EXISTS');
  });
});
