import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';

let t: TestContext;
let busUp = true;
beforeAll(async () => {
  t = await createTestContext({ app: { healthChecks: { bus: async () => ({ ok: busUp, detail: busUp ? undefined : 'broker unreachable' }) } } });
});
afterAll(async () => t.close());

describe('operations endpoints', () => {
  it('/health checks every part and answers 503 naming the one that is down', async () => {
    const ok = await t.as(null, { method: 'GET', url: '/health' });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('ok');
    expect(Object.keys(ok.body.checks).sort()).toEqual(['bus', 'cache', 'collector', 'database', 'processor', 'reporter']);
    expect(ok.body.checks.database.status).toBe('ok');
    // Nothing collected, nothing queued, no DGA point: the pipeline has nothing to be late with.
    for (const part of ['processor', 'collector', 'reporter']) expect(ok.body.checks[part].status).toBe('ok');
    // The pipeline's figures (group names, lag, times) are for staff only.
    expect(ok.body.checks.processor.detail).toBeUndefined();
    const staff = await t.as(t.adminToken, { method: 'GET', url: '/health' });
    expect(staff.body.checks.processor.detail).toMatch(/member\(s\) in .*processor, lag 0/);
    busUp = false;
    const down = await t.as(t.adminToken, { method: 'GET', url: '/health' });
    expect(down.status).toBe(503);
    expect(down.body.checks.bus).toMatchObject({ status: 'down', detail: 'broker unreachable' });
    const anonymous = await t.as(null, { method: 'GET', url: '/health' });
    expect(anonymous.status).toBe(503);
    expect(anonymous.body.checks.bus.status).toBe('down');
    expect(anonymous.body.checks.bus.detail).toBeUndefined();
    busUp = true;
  });

  it('/openapi.json describes the routes with their schemas and /docs serves the UI', async () => {
    const r = await t.as(null, { method: 'GET', url: '/openapi.json' });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    expect(Object.keys(r.body.paths)).toEqual(expect.arrayContaining(['/api/v1/points', '/api/v1/points/active', '/api/v1/points/near', '/api/v1/clients/{id}']));
    expect(r.body.paths['/api/v1/points'].post.requestBody.content['application/json'].schema.properties.latitude).toBeDefined();
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('unknown routes and malformed JSON are problem+json, never a stack trace', async () => {
    const nf = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/nothing' });
    expect(nf.status).toBe(404);
    expect(nf.headers['content-type']).toContain('application/problem+json');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body).not.toContain('    at ');
  });

  it('a failure inside a handler is a 500 with the request id and no internals', async () => {
    const broken = await createTestContext();
    const token = broken.adminToken;
    await broken.c.db.exec('DROP TABLE point_viewers CASCADE');
    const r = await broken.as(token, { method: 'GET', url: '/api/v1/points', headers: { 'x-request-id': 'req-123' } });
    expect(r.status).toBe(500);
    expect(r.body.request_id).toBe('req-123');
    expect(r.body.detail).toContain('req-123');
    expect(r.text).not.toContain('point_viewers');
    expect(r.headers['x-request-id']).toBe('req-123');
    await broken.close();
  });
});
