import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';
import type { IncomingMessage } from '../../src/infra/bus/index.js';
import { freshDatabase } from './support.js';

/**
 * The processor's write path on PostgreSQL: a batch goes in as one binary COPY; a batch that repeats readings
 * already stored (delivered again after a rebalance) fails that COPY on the unique key and goes through the
 * staging table instead, storing exactly the new readings, once, with their values, rollups and latest values.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>;
let t: TestContext;
let pointId: number;
let offset = 0n;

const batch = (readings: { variable: string; ts: string; raw: unknown }[], perMessage = 3): IncomingMessage[] =>
  encodeRawBatches({ point_id: pointId, provider: 'twin', collected_at: new Date().toISOString() }, readings, perMessage).map((m) => ({
    ...m,
    topic: 'telemetry.raw.v1',
    partition: 0,
    offset: offset++,
  }));

const minute = (m: number) => new Date(Date.UTC(2026, 10, 30, 6, m)).toISOString();
const readings = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => {
    const m = from + i;
    return [
      { variable: 'caudal', ts: minute(m), raw: 36 },
      { variable: 'totalizador', ts: minute(m), raw: 1000 + m * 10 },
      { variable: 'nivel', ts: minute(m), raw: `${30 + (m % 5) / 10}` },
    ];
  }).flat();

beforeAll(async () => {
  db = await freshDatabase();
  t = await createTestContext({ config: { databaseUrl: db.url } });
  const s = await seedTenant(t, 'pgproc', 1);
  pointId = s.points[0]!;
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'pgproc', variables_config: templateConfig('nettra') } });
  await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${pointId}/schema`, payload: { template_id: tpl.body.id } });
  await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${pointId}`, payload: { level_sensor_position: 80 } });
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

const stored = async () =>
  (
    await t.c.db.query<{ variable: string; n: number; sum: number; flags: string }>(
      `SELECT variable, count(*)::int AS n, sum(value_numeric)::float8 AS sum, string_agg(DISTINCT array_to_string(quality_flags, ';'), '|') AS flags
       FROM measurements WHERE point_id = $1 GROUP BY variable ORDER BY variable`,
      [pointId],
    )
  ).rows;

describe('processor on PostgreSQL', () => {
  it('stores a batch with one binary COPY: every value, flag and processing detail as processed', async () => {
    const r = await t.c.processor.handleBatch(batch(readings(0, 20)));
    expect(r).toMatchObject({ readings: 60, stored: 60, duplicates: 0, deadLetters: 0 });
    const { rows } = await t.c.db.query<Record<string, unknown>>(
      `SELECT variable, value_numeric, meter_value, raw_value, quality_score, quality_flags, provider, processing_config
       FROM measurements WHERE point_id = $1 AND ts = $2 ORDER BY variable`,
      [pointId, minute(1)],
    );
    expect(rows).toEqual([
      expect.objectContaining({ variable: 'caudal', value_numeric: 10, meter_value: null, raw_value: 36, quality_score: 1, quality_flags: [], provider: 'twin' }),
      expect.objectContaining({ variable: 'nivel', value_numeric: 49.9, raw_value: '30.1', quality_flags: [] }),
      expect.objectContaining({ variable: 'totalizador', value_numeric: 10.1, meter_value: 10.1, raw_value: 1010 }),
    ]);
    // What each step applied, whole: the variable's configuration, shared between readings, merged with the step's
    // part (a conversion, a totalizer's offset and limit, a level's sensor position and the reading's own column).
    expect(rows.map((r) => r.processing_config)).toEqual([
      { kind: 'flow', unit: 'm3/h', scale: 1, offset: 0, valid_range: { min: 0, max: 200 }, conversion: 'm3/h→L/s' },
      { kind: 'level', unit: 'm', scale: 1, offset: 0, valid_range: { min: 0, max: 300 }, level_sensor_position: 80, water_column_m: 30.1 },
      {
        kind: 'pulses', unit: 'pulses', scale: 1, offset: 0, pulses_factor: 10, conversion: 'pulses×factor/1000→m3',
        totalizer_offset: 0, max_m3_per_hour: 500,
      },
    ]);
  });

  it('a batch delivered again with new readings in it stores only the new ones, once, and counts the rest as duplicates', async () => {
    // Minutes 10–29: 10 already stored, 10 new.
    const r = await t.c.processor.handleBatch(batch(readings(10, 30)));
    expect(r).toMatchObject({ readings: 60, stored: 30, duplicates: 30, deadLetters: 0 });
    expect(await stored()).toEqual([
      { variable: 'caudal', n: 30, sum: 300, flags: '' },
      { variable: 'nivel', n: 30, sum: expect.closeTo(30 * 80 - (30 * 30 + 6 * 1.0), 6), flags: '' },
      { variable: 'totalizador', n: 30, sum: expect.closeTo(Array.from({ length: 30 }, (_, m) => 10 + m * 0.1).reduce((a, b) => a + b, 0), 6), flags: '' },
    ]);
    // Rollups counted each reading once; the latest value is the newest reading.
    const hourly = await t.c.db.query<{ n: number }>(
      "SELECT sum(n)::int AS n FROM measurement_rollups WHERE point_id = $1 AND resolution = '1h' AND variable = 'caudal'",
      [pointId],
    );
    expect(hourly.rows[0]!.n).toBe(30);
    const latest = await t.c.db.query<{ ts: Date; value_numeric: number }>(
      "SELECT ts, value_numeric FROM latest_values WHERE point_id = $1 AND variable = 'totalizador'",
      [pointId],
    );
    expect(latest.rows[0]).toEqual({ ts: new Date(minute(29)), value_numeric: 12.9 });
  });

  it('the same batch twice in one process (the staging table is reused) stores nothing the second time', async () => {
    const msgs = batch(readings(30, 40));
    expect(await t.c.processor.handleBatch(msgs)).toMatchObject({ stored: 30, duplicates: 0 });
    expect(await t.c.processor.handleBatch(msgs)).toMatchObject({ stored: 0, duplicates: 30 });
    expect(await t.c.processor.handleBatch(batch(readings(35, 45)))).toMatchObject({ stored: 15, duplicates: 15 });
    const n = await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = $1', [pointId]);
    expect(n.rows[0]!.n).toBe(135);
  });
});
