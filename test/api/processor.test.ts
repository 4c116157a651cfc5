import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';
import type { IncomingMessage } from '../../src/infra/bus/index.js';

let t: TestContext;
let pointId: number;
let inactiveId: number;
let offset = 0n;

const batch = (point: number, readings: { variable: string; ts: string; raw: unknown }[]): IncomingMessage[] =>
  encodeRawBatches({ point_id: point, provider: 'twin', collected_at: new Date().toISOString() }, readings).map((m) => ({
    ...m,
    topic: 'telemetry.raw.v1',
    partition: 0,
    offset: offset++,
  }));

beforeAll(async () => {
  t = await createTestContext();
  const s = await seedTenant(t, 'proc', 2);
  [pointId, inactiveId] = s.points as [number, number];
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'proc', variables_config: templateConfig('nettra') } });
  for (const id of s.points) {
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${id}/schema`, payload: { template_id: tpl.body.id } });
  }
  await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${pointId}`, payload: { level_sensor_position: 80 } });
  await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${inactiveId}`, payload: { is_telemetry_active: false } });
});
afterAll(async () => t.close());

const ts = (m: number) => new Date(Date.UTC(2026, 10, 30, 6, m)).toISOString();

describe('processor', () => {
  it('applies the schema: m³/h → L/s, pulses → m³ with a reset, level → water table', async () => {
    const r = await t.c.processor.handleBatch(
      batch(pointId, [
        { variable: 'caudal', ts: ts(0), raw: 36 },
        { variable: 'totalizador', ts: ts(0), raw: 1000 },
        { variable: 'totalizador', ts: ts(1), raw: 1100 },
        { variable: 'totalizador', ts: ts(2), raw: 50 }, // counter restarted
        { variable: 'nivel', ts: ts(0), raw: '30.5' },
      ]),
    );
    expect(r).toMatchObject({ readings: 5, stored: 5, duplicates: 0, deadLetters: 0, resets: 1 });
    const rows = await t.c.db.query<{ variable: string; ts: Date; value_numeric: number; quality_flags: string[] }>(
      'SELECT variable, ts, value_numeric, quality_flags FROM measurements WHERE point_id = $1 ORDER BY variable, ts',
      [pointId],
    );
    const v = (variable: string) => rows.rows.filter((x) => x.variable === variable).map((x) => x.value_numeric);
    expect(v('caudal')).toEqual([10]); // 36 m³/h = 10 L/s
    expect(v('nivel')).toEqual([49.5]); // 80 m sensor − 30.5 m column
    // 10 L per pulse: 1000 pulses = 10 m³, 1100 = 11 m³; after the reset 50 pulses = 0.5 m³ on top of 11.
    expect(v('totalizador')).toEqual([10, 11, 11.5]);
    expect(rows.rows.find((x) => x.variable === 'totalizador' && x.value_numeric === 11.5)!.quality_flags).toContain('counter_reset');
    const resets = await t.c.db.query('SELECT previous_raw, new_raw, lost_volume FROM totalizer_resets WHERE point_id = $1', [pointId]);
    expect(resets.rows).toEqual([{ previous_raw: 11, new_raw: 0.5, lost_volume: 11 }]);
  });

  it('a re-delivered batch stores nothing twice and keeps the totalizer state', async () => {
    const msgs = batch(pointId, [{ variable: 'totalizador', ts: ts(3), raw: 150 }]);
    const first = await t.c.processor.handleBatch(msgs);
    const again = await t.c.processor.handleBatch(msgs);
    expect(first.stored).toBe(1);
    expect(again).toMatchObject({ stored: 0, duplicates: 1 });
    const rows = await t.c.db.query<{ n: number; v: number }>(
      "SELECT count(*)::int AS n, max(value_numeric) AS v FROM measurements WHERE point_id = $1 AND variable = 'totalizador' AND ts = $2",
      [pointId, ts(3)],
    );
    expect(rows.rows[0]).toEqual({ n: 1, v: 12.5 });
    const next = await t.c.processor.handleBatch(batch(pointId, [{ variable: 'totalizador', ts: ts(4), raw: 250 }]));
    expect(next.resets).toBe(0);
    const last = await t.c.db.query<{ value_numeric: number }>("SELECT value_numeric FROM measurements WHERE point_id = $1 AND variable = 'totalizador' AND ts = $2", [pointId, ts(4)]);
    expect(last.rows[0]!.value_numeric).toBe(13.5);
  });

  it('dead-letters what it cannot use, with the reason, once per reading', async () => {
    const before = Number((await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters')).rows[0]!.n);
    const msgs = [
      ...batch(inactiveId, [{ variable: 'caudal', ts: ts(5), raw: 1 }]),
      ...batch(999_999, [{ variable: 'caudal', ts: ts(5), raw: 1 }]),
      ...batch(pointId, [
        { variable: 'presion', ts: ts(5), raw: 1 },
        { variable: 'caudal', ts: ts(5), raw: 'abc' },
        { variable: 'caudal', ts: new Date(Date.now() + 3600_000).toISOString(), raw: 1 },
      ]),
      { key: '1', value: '{not json', topic: 'telemetry.raw.v1', partition: 0, offset: offset++ },
    ];
    const r = await t.c.processor.handleBatch(msgs);
    expect(r.deadLetters).toBe(6);
    await t.c.processor.handleBatch(msgs); // re-delivered: counted once
    const { rows } = await t.c.db.query<{ code: string; reason: string }>('SELECT code, reason FROM dead_letters ORDER BY id');
    expect(rows.length - before).toBe(6);
    const codes = rows.map((x) => x.code).sort();
    expect(codes).toEqual(['future_timestamp', 'inactive_point', 'malformed_message', 'unknown_point', 'unknown_variable', 'unparseable_value'].sort());
    expect(rows.find((x) => x.code === 'unknown_variable')!.reason).toContain('"presion"');
    expect(rows.find((x) => x.code === 'unparseable_value')!.reason).toContain('abc');
  });

  it('keeps monthly partitions ahead and drops whole partitions past retention', async () => {
    const repo = t.c.processor.measurements;
    await repo.createAhead(new Date('2026-11-15T00:00:00Z'), 2);
    await repo.ensurePartitions([new Date('2024-03-10T00:00:00Z')]);
    const names = async () =>
      (await t.c.db.query<{ n: string }>("SELECT c.relname AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'measurements'::regclass ORDER BY 1")).rows.map((r) => r.n);
    expect(await names()).toEqual(expect.arrayContaining(['measurements_2024_03', 'measurements_2026_11', 'measurements_2026_12', 'measurements_2027_01']));
    const dropped = await repo.dropPartitionsBefore(new Date('2025-01-01T00:00:00Z'));
    expect(dropped).toEqual(['measurements_2024_03']);
    expect(await names()).not.toContain('measurements_2024_03');
    expect(await names()).toContain('measurements_2026_11');
  });
});
