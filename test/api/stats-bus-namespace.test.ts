import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';

/** A deployment with BUS_NAMESPACE reports the lag of its own consumer group, on its own topic. */
let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ config: { busNamespace: 'plant-7' } });
  await t.c.bus.publish(t.c.topics.raw, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'c', value: '3' }]);
  // Not this deployment's topic: must not count.
  await t.c.bus.publish('telemetry.raw.v1', [{ key: 'a', value: 'other deployment' }]);
});
afterAll(async () => t.close());

describe('consumer lag under a bus namespace', () => {
  it('GET /stats names the namespaced processor group and counts only its topic', async () => {
    const r = await t.as(t.adminToken, { method: 'GET', url: '/stats' });
    expect(r.status).toBe(200);
    expect(r.body.bus.lag).toEqual({ 'plant-7.smarthydro-processor': 3 });
  });

  it('GET /metrics labels the lag gauge with the namespaced group', async () => {
    const r = await t.as(null, { method: 'GET', url: '/metrics' });
    expect(r.text).toContain('smarthydro_bus_consumer_lag{group="plant-7.smarthydro-processor"} 3');
    expect(r.text).not.toContain('group="smarthydro-processor"');
  });
});
