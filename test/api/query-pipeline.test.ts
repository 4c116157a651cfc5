import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';
import type { IncomingMessage } from '../../src/infra/bus/index.js';
import { rebuildRollups } from '../../src/telemetry/query/rollup.repository.js';
import { rollupTable } from './query.support.js';

/**
 * The processor's write path feeds the query side: rollups from exactly the rows inserted (late and
 * re-delivered batches included) and the latest-value cache after each commit.
 */
let t: TestContext;
let point: number;
let offset = 0n;

const HOUR = 3_600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;

function batch(readings: { variable: string; ts: number; raw: unknown }[]): IncomingMessage[] {
  return encodeRawBatches(
    { point_id: point, provider: 'twin', collected_at: new Date().toISOString() },
    readings.map((r) => ({ variable: r.variable, ts: new Date(r.ts).toISOString(), raw: r.raw })),
  ).map((m) => ({ ...m, topic: 'telemetry.raw.v1', partition: 0, offset: offset++ }));
}

beforeAll(async () => {
  t = await createTestContext();
  point = (await seedTenant(t, 'pipeline', 1)).points[0]!;
  const schema = await t.as(t.adminToken, {
    method: 'PUT',
    url: `/api/v1/points/${point}/schema`,
    payload: {
      custom_config: {
        caudal: { kind: 'flow', channel: 'caudal', unit: 'L/s' },
        totalizador: { kind: 'totalizer', channel: 'totalizador', unit: 'm3' },
      },
    },
  });
  expect(schema.status).toBe(200);
});
afterAll(async () => t.close());

describe('processor → rollups and latest values', () => {
  it('keeps the rollups equal to a rebuild from the stored rows through late and re-delivered batches', async () => {
    const first = [0, 10, 20, 30, 40, 50, 70, 80].map((m) => ({ variable: 'caudal', ts: base + m * 60_000, raw: 10 + m / 10 }));
    await t.c.processor.handleBatch(batch(first));
    await t.c.processor.handleBatch(batch(first.slice(2, 6))); // at-least-once: delivered again
    await t.c.processor.handleBatch(batch([{ variable: 'caudal', ts: base + 5 * 60_000, raw: 1 }, { variable: 'caudal', ts: base + 65 * 60_000, raw: 99 }])); // late
    const incremental = await rollupTable(t.c.db);
    const hour0 = incremental.find((r) => r.resolution === '1h' && Date.parse(r.bucket.replace(' ', 'T').replace('+00', 'Z')) === base)!;
    expect(hour0).toMatchObject({ n: 7, min: 1, max: 15 });
    await rebuildRollups(t.c.db);
    expect(await rollupTable(t.c.db)).toEqual(incremental);
  });

  it('shows a new reading in the latest values as soon as the batch is committed', async () => {
    const before = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${point}/latest` });
    expect(before.body.variables.find((v: any) => v.variable === 'caudal').value).toBe(18);
    await t.c.processor.handleBatch(batch([{ variable: 'caudal', ts: base + 90 * 60_000, raw: 21.5 }]));
    const after = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/latest?point_ids=${point}` });
    expect(after.body.items[0].variables.find((v: any) => v.variable === 'caudal')).toMatchObject({
      value: 21.5,
      timestamp: new Date(base + 90 * 60_000).toISOString(),
    });
  });
});
