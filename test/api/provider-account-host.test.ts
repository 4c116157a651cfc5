import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';

const url = '/api/v1/provider-accounts';

describe('changing a provider account base_url', () => {
  let t: TestContext;
  let operatorToken: string;
  beforeAll(async () => {
    t = await createTestContext();
    await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: 'op@acc.cl', password: 'operator-pw', role: 'operator' } });
    operatorToken = await t.login('op@acc.cl', 'operator-pw');
  });
  afterAll(async () => t.close());

  const account = async (name: string) => {
    const r = await t.as(operatorToken, {
      method: 'POST',
      url,
      payload: { provider: 'nettra', name, base_url: 'https://api.nettra.example/v2', username: 'svc', password: 'stored-secret', is_default: true },
    });
    expect(r.status).toBe(201);
    return r.body.id as number;
  };
  const patch = (id: number, payload: object) => t.as(operatorToken, { method: 'PATCH', url: `${url}/${id}`, payload });

  it('to another host drops the stored password and the tokens of the points using it, and says so', async () => {
    const id = await account('moved');
    const { points } = await seedTenant(t, 'acc-host', 1);
    const setToken = await t.as(t.adminToken, {
      method: 'PATCH',
      url: `/api/v1/points/${points[0]}`,
      payload: { provider: 'nettra', provider_token: 'point-secret' }, // uses the default nettra account: this one
    });
    expect(setToken.status, setToken.text).toBe(200);
    expect(setToken.body.has_provider_token).toBe(true);

    const r = await patch(id, { base_url: 'https://collector.attacker.example/v2' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ base_url: 'https://collector.attacker.example/v2', has_password: false, password_cleared: true, point_tokens_cleared: 1 });
    expect((await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${points[0]}` })).body.has_provider_token).toBe(false);
    const accounts = await t.c.providerAccounts.forCollection();
    expect(accounts.byId.get(id)!.password).toBeUndefined();
  });

  it('keeps the password when the same request sends a new one (which is then the one stored)', async () => {
    const id = await account('moved-with-secret');
    const r = await patch(id, { base_url: 'https://api2.nettra.example/v2', password: 'new-secret' });
    expect(r.status).toBe(200);
    expect(r.body.has_password).toBe(true);
    expect(r.body.password_cleared).toBeUndefined();
    expect((await t.c.providerAccounts.forCollection()).byId.get(id)!.password).toBe('new-secret');
  });

  it('keeps the password when only the path changes; a scheme or port change counts as another server', async () => {
    const id = await account('same-host');
    const path = await patch(id, { base_url: 'https://api.nettra.example/v3' });
    expect(path.body).toMatchObject({ has_password: true });
    expect(path.body.password_cleared).toBeUndefined();
    expect(path.body.point_tokens_cleared).toBeUndefined();
    const http = await patch(id, { base_url: 'http://api.nettra.example/v3' });
    expect(http.body).toMatchObject({ has_password: false, password_cleared: true });
  });
});

describe('PROVIDER_HOST_ALLOWLIST', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ config: { providerHostAllowlist: ['api.nettra.example', 'twin.example:8443'] } });
  });
  afterAll(async () => t.close());

  it('accepts only the listed hosts, naming base_url otherwise', async () => {
    const ok = await t.as(t.adminToken, { method: 'POST', url, payload: { provider: 'nettra', name: 'n', base_url: 'https://api.nettra.example/v2' } });
    expect(ok.status).toBe(201);
    const bad = await t.as(t.adminToken, { method: 'POST', url, payload: { provider: 'nettra', name: 'x', base_url: 'https://evil.example/v2' } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('base_url');
    expect(bad.body.detail).toContain('api.nettra.example');
    const port = await t.as(t.adminToken, { method: 'POST', url, payload: { provider: 'twin', name: 't', base_url: 'https://twin.example:9000/api' } });
    expect(port.status).toBe(400);
    const moved = await t.as(t.adminToken, { method: 'PATCH', url: `${url}/${ok.body.id}`, payload: { base_url: 'https://evil.example/v2' } });
    expect(moved.status).toBe(400);
  });

  it('the collector does not use a stored account outside the list', async () => {
    await t.c.db.query(
      "INSERT INTO provider_accounts (provider, name, base_url, is_default) VALUES ('novus', 'old', 'https://old.example/api', true)",
    );
    const { byId, defaults } = await t.c.providerAccounts.forCollection();
    expect([...byId.values()].map((a) => a.baseUrl)).toEqual(['https://api.nettra.example/v2']);
    expect(defaults.has('novus')).toBe(false);
  });
});
