import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('the OpenAPI document', () => {
  it('describes the success answer of every route (Prometheus text at /metrics aside)', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>;
    };
    const undescribed: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const described = Object.entries(op.responses ?? {}).some(([code, r]) => /^[23]/.test(code) && (r.content !== undefined || code === '204'));
        if (!described && path !== '/metrics') undescribed.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
    expect(undescribed).toEqual([]);
  });

  it('/health answers what its schema says', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', checks: { database: { status: 'ok', detail: 'pglite' }, cache: { status: 'ok' }, bus: { status: 'ok' } } });
    expect(typeof r.json().checks.database.latency_ms).toBe('number');
  });
});
