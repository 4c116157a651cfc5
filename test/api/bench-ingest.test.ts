import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/context.js';
import { benchIngestion } from '../../tools/bench/ingest.js';
import { parseBenchArgs } from '../../tools/bench/cli.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => t.close());

describe('bench', () => {
  it('ingestion pushes every reading through the bus and the processor, then the same rows through COPY', async () => {
    const results = await benchIngestion(t.c, { readings: 3_000, points: 4, consumers: 2, perMessage: 3, progress: () => undefined });
    const [rate, copy, rss] = results;
    expect(rate).toMatchObject({ name: expect.stringContaining('3 readings per message'), unit: 'measurements/s' });
    expect(rate!.value).toBeGreaterThan(0);
    expect(rate!.baseline).toBe(copy!.value);
    expect(rss!.value).toBeGreaterThan(0);
    // 4 points × 250 minutes × 3 variables, stored once each (the COPY baseline re-inserted them after a DELETE).
    const { rows } = await t.c.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM measurements m JOIN catchment_points p ON p.id = m.point_id WHERE p.title LIKE 'ingest %'`,
    );
    expect(rows[0]!.n).toBe(3_000);
  });

  it('parses its options and names the bad one', () => {
    expect(parseBenchArgs(['--only', 'ingest', '--ingest-readings', '1_000'])).toMatchObject({ only: 'ingest', ingestReadings: 1000 });
    expect(parseBenchArgs(['--only', 'import', '--import-rows', '2000'])).toMatchObject({ only: 'import', importRows: 2000 });
    expect(parseBenchArgs(['--only', 'scale', '--scale-points', '100_000', '--dga-points', '10000'])).toMatchObject({
      only: 'scale', scalePoints: 100_000, dgaPoints: 10_000,
    });
    expect(parseBenchArgs([])).toMatchObject({ scalePoints: undefined, dgaPoints: undefined });
    expect(() => parseBenchArgs(['--only', 'everything'])).toThrow(/--only must be "queries", "ingest", "import" or "scale"/);
    expect(() => parseBenchArgs(['--scale-points', '5'])).toThrow(/--scale-points must be an integer of at least 10/);
    expect(() => parseBenchArgs(['--dga-points', 'many'])).toThrow(/--dga-points must be an integer of at least 1/);
    expect(() => parseBenchArgs(['--import-rows', '10'])).toThrow(/--import-rows must be an integer of at least 1000/);
    expect(() => parseBenchArgs(['--points', '0'])).toThrow(/--points must be an integer of at least 1/);
  });
});
