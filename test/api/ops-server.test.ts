import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { startOps } from '../../src/roles/ops.js';

/** A process running only worker roles still answers /health (probes) and /metrics (Prometheus) on PORT. */
let t: TestContext;
let ops: Awaited<ReturnType<typeof startOps>>;

beforeAll(async () => {
  t = await createTestContext({ config: { port: 0, host: '127.0.0.1' } });
  ops = await startOps(t.c);
});
afterAll(async () => {
  await ops?.stop();
  await t?.close();
});

describe('the ops server of a worker process', () => {
  it('GET /health checks the parts the process uses', async () => {
    const r = await fetch(`${ops.url}/health`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks)).toEqual(expect.arrayContaining(['database', 'cache', 'bus']));
  });

  it('GET /metrics is the process registry in Prometheus text; the API routes are not there', async () => {
    t.c.metrics.collectionRequests.inc({ provider: 'twin', result: 'ok' });
    const r = await fetch(`${ops.url}/metrics`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toMatch(/^smarthydro_collection_results_total\{provider="twin",result="ok"\} 1$/m);
    expect((await fetch(`${ops.url}/api/v1/clients`)).status).toBe(404);
  });

  it('on a port already taken it fails to start (main.ts then logs it and keeps the roles running)', async () => {
    const port = Number(new URL(ops.url).port);
    const c = Object.create(t.c, { config: { value: { ...t.c.config, port } } }) as typeof t.c;
    await expect(startOps(c)).rejects.toThrow(/EADDRINUSE/);
    expect((await fetch(`${ops.url}/health`)).status).toBe(200);
  });
});
