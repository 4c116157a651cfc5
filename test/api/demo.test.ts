import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { seedDemo } from '../../src/demo/seed.js';
import { SIMULATOR_CHANNELS } from '../../src/providers/simulator/index.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('demo data', () => {
  it('seeds 3 clients, 6 projects and 66 points across Chile, once', async () => {
    const first = await seedDemo(t.c);
    expect(first).toEqual({ seeded: true, points: 66 });
    const q = async (sql: string) => (await t.c.db.query<Record<string, any>>(sql)).rows;
    expect((await q('SELECT count(*)::int n FROM clients'))[0]!.n).toBe(3);
    expect((await q('SELECT count(*)::int n FROM projects'))[0]!.n).toBe(6);
    const pts = await q('SELECT provider, frequency, latitude, longitude, dga_send, dga_standard, provider_token_enc FROM catchment_points');
    expect(pts).toHaveLength(66);
    expect(new Set(pts.map((p) => p.provider))).toEqual(new Set(['twin', 'nettra', 'novus']));
    expect(new Set(pts.map((p) => p.frequency))).toEqual(new Set([1, 5, 60]));
    for (const p of pts) {
      expect(p.latitude).toBeGreaterThan(-56);
      expect(p.latitude).toBeLessThan(-17);
      expect(p.longitude).toBeGreaterThan(-76);
      expect(p.longitude).toBeLessThan(-66);
    }
    const dga = pts.filter((p) => p.dga_send);
    expect(dga.length).toBeGreaterThanOrEqual(22);
    expect(dga.filter((p) => p.dga_standard === 'MAYOR').length).toBeGreaterThan(dga.length / 2);
    expect(await seedDemo(t.c)).toEqual({ seeded: false, points: 0 });
  });

  it("points' merged schemas use the simulator's channels", async () => {
    const { rows } = await t.c.db.query<{ id: number; provider: 'twin' | 'nettra' | 'novus' }>('SELECT id, provider FROM catchment_points');
    for (const p of rows.slice(0, 6)) {
      const cfg = (await t.c.schemas.mergedConfig(p.id)).merged_config as Record<string, { channel: string }>;
      const served = Object.keys(SIMULATOR_CHANNELS[p.provider]);
      for (const v of Object.values(cfg)) expect(served).toContain(v.channel);
    }
  });
});
