import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { benchPush } from '../../tools/bench/push.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('bench: pushed readings', () => {
  it('pushes every reading over HTTP through the processor, compares with a COPY, and skips MQTT without a broker', async () => {
    const said: string[] = [];
    const results = await benchPush(t.c, { readings: 3_000, points: 2, progress: (m) => said.push(m) });
    expect(results).toHaveLength(1);
    const [http] = results;
    expect(http).toMatchObject({ name: expect.stringContaining('HTTP push'), unit: 'readings/s', target: null });
    expect(http!.value).toBeGreaterThan(0);
    expect(http!.baseline).toBeGreaterThan(0);
    expect(said.some((m) => m.includes('MQTT ingest not measured: MQTT_URL is unset'))).toBe(true);
    // 2 points × 500 minutes × 3 variables, stored once each (the COPY baseline re-inserted them after a DELETE).
    const { rows } = await t.c.db.query<{ n: number; providers: string[] }>(
      `SELECT count(*)::int AS n, array_agg(DISTINCT m.provider) AS providers FROM measurements m JOIN catchment_points p ON p.id = m.point_id WHERE p.title LIKE 'ingest %'`,
    );
    expect(rows[0]).toEqual({ n: 3_000, providers: ['push'] });
  });
});
