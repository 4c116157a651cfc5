import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { ADMIN_ACTOR, configureDgaPoint, FakeClock } from '../support/dga-fixtures.js';
import { startDgaSimulator, type ReceivedDgaRequest, type RunningDgaSimulator } from '../../src/dga/simulator.js';
import { encodeRawBatches } from '../../src/telemetry/ingest/raw-message.js';
import type { IncomingMessage } from '../../src/infra/bus/index.js';
import type { Json } from '../../src/registry/deep-merge.js';

/**
 * The numbers DGA receives, end to end: readings through the processor (reset offsets, initial meter
 * reading, noise, late readings), then the reporter against the DGA simulator. Slot times are local
 * (UTC−4): 16:00 local = 20:00Z.
 */
const TZ = 'Etc/GMT+4';
let t: TestContext;
let sim: RunningDgaSimulator;
let simClock = new FakeClock(Date.parse('2026-11-20T21:07:00Z'));
let codeSeq = 900;
let offset = 0n;

beforeAll(async () => {
  sim = await startDgaSimulator({ clock: { now: () => simClock.now() }, timeZone: TZ });
  t = await createTestContext({ config: { dgaApiUrl: sim.url, reportTimezone: TZ } });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});
afterEach(async () => {
  await t.c.db.query('UPDATE catchment_points SET dga_send = false');
});

const PULSES = (extra: Record<string, Json> = {}): Record<string, Json> => ({
  pulsos: { kind: 'pulses', unit: 'pulses', channel: 'pulsos', processing: { pulses_factor: 1000, max_m3_per_hour: 10_000, ...extra } },
});
const LEVEL: Record<string, Json> = { nivel: { kind: 'level', unit: 'm', channel: 'nivel' } };

async function point(opts: { variables: Record<string, Json>; patch?: Record<string, unknown>; type?: 'SUBTERRANEO' | 'SUPERFICIAL' }) {
  const code = `OB-0602-${codeSeq++}`;
  const { points } = await seedTenant(t, `dga-tot-${code}`, 1);
  const pointId = points[0]!;
  await configureDgaPoint(t.c, pointId, { code, startDate: '2026-11-20', type: opts.type ?? 'SUPERFICIAL' });
  await t.c.schemas.setPointSchema(ADMIN_ACTOR, pointId, { custom_config: opts.variables });
  if (opts.patch) await t.c.points.update(ADMIN_ACTOR, pointId, opts.patch);
  return { pointId, code };
}

async function feed(pointId: number, readings: [variable: string, localTime: string, raw: unknown][]) {
  const messages: IncomingMessage[] = encodeRawBatches(
    { point_id: pointId, provider: 'twin', collected_at: new Date().toISOString() },
    readings.map(([variable, time, raw]) => ({ variable, ts: `2026-11-20T${time}:00-04:00`, raw })),
  ).map((m) => ({ ...m, topic: 'telemetry.raw.v1', partition: 0, offset: offset++ }));
  return t.c.processor.handleBatch(messages);
}

/** Runs the reporter at 17:07 local and returns what the 17:00 slot sent. */
async function sent17(code: string) {
  const clock = new FakeClock(Date.parse('2026-11-20T21:07:00Z'));
  simClock = clock;
  await t.c.dgaReporter({ clock, minSpacingMs: 10 }).tick();
  const body = (r: ReceivedDgaRequest) => r.body as Record<string, any>;
  const m = sim
    .received(code)
    .map((r) => body(r).medicionSubterranea ?? body(r).medicionSuperficialFlujometro)
    .find((x) => x.horaMedicion === '17:00:00');
  expect(m, `no 17:00 slot sent for ${code}`).toBeDefined();
  return m as { caudal: string; totalizador: string; nivelFreaticoDelPozo?: string };
}

async function stored(pointId: number, variable: string) {
  const { rows } = await t.c.db.query<{ ts: Date; value_numeric: number | null; meter_value: number | null; quality_flags: string[] }>(
    'SELECT ts, value_numeric, meter_value, quality_flags FROM measurements WHERE point_id = $1 AND variable = $2 ORDER BY ts',
    [pointId, variable],
  );
  return rows;
}

describe('DGA totalizador is the meter reading', () => {
  it('sends the meter reading without the initial meter reading (687970, not 11366642)', async () => {
    const p = await point({ variables: PULSES(), patch: { initial_meter_reading: 10_678_672 } });
    await feed(p.pointId, [['pulsos', '16:00', 687_000], ['pulsos', '17:00', 687_970]]);
    const rows = await stored(p.pointId, 'pulsos');
    expect(rows.map((r) => [r.value_numeric, r.meter_value])).toEqual([[11_365_672, 687_000], [11_366_642, 687_970]]);
    const m = await sent17(p.code);
    expect(m.totalizador).toBe('687970');
    // The caudal still comes from the continuous total: 970 m³ in the hour.
    expect(m.caudal).toBe('269.44');
  });

  it('sends the meter reading after a counter reset (100, not 5100)', async () => {
    const p = await point({ variables: PULSES() });
    await feed(p.pointId, [['pulsos', '16:00', 5_000], ['pulsos', '17:00', 100]]);
    const rows = await stored(p.pointId, 'pulsos');
    expect(rows.map((r) => [r.value_numeric, r.meter_value])).toEqual([[5_000, 5_000], [5_100, 100]]);
    expect((await sent17(p.code)).totalizador).toBe('100');
  });

  it('sends the continuous total when the totalizer is set to dga_totalizer_source accumulated', async () => {
    const p = await point({ variables: PULSES({ dga_totalizer_source: 'accumulated' }), patch: { initial_meter_reading: 10_678_672 } });
    await feed(p.pointId, [['pulsos', '16:00', 687_000], ['pulsos', '17:00', 687_970]]);
    expect((await sent17(p.code)).totalizador).toBe('11366642');
  });

  it('takes the point setting dga_totalizer_source (PATCH /points/{id}) over the variable\'s, and refuses other values', async () => {
    const p = await point({ variables: PULSES(), patch: { initial_meter_reading: 10_678_672 } });
    const patch = (v: unknown) => t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${p.pointId}`, payload: { dga_totalizer_source: v } });
    expect((await patch('total')).body).toMatchObject({ status: 400, field: expect.stringContaining('dga_totalizer_source') });
    const r = await patch('accumulated');
    expect(r.status).toBe(200);
    expect(r.body.dga_totalizer_source).toBe('accumulated');
    await feed(p.pointId, [['pulsos', '16:00', 687_000], ['pulsos', '17:00', 687_970]]);
    expect((await sent17(p.code)).totalizador).toBe('11366642');
  });
});

describe('DGA slot caudal', () => {
  it('takes a tiny decrease as noise, not a reset: m³ 1000.000 · 999.995 · 1055.116 → MAYOR 17:00 caudal "15.31"', async () => {
    const p = await point({ variables: { total: { kind: 'totalizer', unit: 'm3', channel: 'total' } } });
    await feed(p.pointId, [['total', '16:00', 1000.0], ['total', '16:30', 999.995], ['total', '17:00', 1055.116]]);
    const rows = await stored(p.pointId, 'total');
    expect(rows.map((r) => r.quality_flags)).toEqual([[], ['counter_decrease'], []]);
    expect(rows.map((r) => r.value_numeric)).toEqual([1000, 999.995, 1055.116]);
    const m = await sent17(p.code);
    expect(m.caudal).toBe('15.31');
    expect(m.totalizador).toBe('1055');
  });
});

describe('DGA water table', () => {
  it('a water table above the sensor is 0.00 flagged above_sensor, and DGA receives "0.00" (d3 30 m, channel 31.2 m)', async () => {
    const p = await point({ variables: { ...PULSES(), ...LEVEL }, type: 'SUBTERRANEO', patch: { level_sensor_position: 30 } });
    await feed(p.pointId, [['pulsos', '16:00', 100], ['pulsos', '17:00', 136], ['nivel', '17:00', 31.2]]);
    const rows = await stored(p.pointId, 'nivel');
    expect(rows.map((r) => [r.value_numeric, r.quality_flags])).toEqual([[0, ['above_sensor']]]);
    const m = await sent17(p.code);
    expect(m.nivelFreaticoDelPozo).toBe('0.00');
    expect(m).toMatchObject({ caudal: '10.00', totalizador: '136' });
  });
});

describe('a late totalizer reading', () => {
  it('takes the offset in force at its time and moves the following reset: 16:30 5,020 stored as 5,020, 17:00 = 5,120, caudal 33.33', async () => {
    const p = await point({ variables: PULSES() });
    await feed(p.pointId, [['pulsos', '16:00', 5_000], ['pulsos', '17:00', 100]]);
    expect((await stored(p.pointId, 'pulsos')).map((r) => r.value_numeric)).toEqual([5_000, 5_100]);
    await feed(p.pointId, [['pulsos', '16:30', 5_020]]);

    const rows = await stored(p.pointId, 'pulsos');
    expect(rows.map((r) => [r.value_numeric, r.meter_value])).toEqual([[5_000, 5_000], [5_020, 5_020], [5_120, 100]]);
    const resets = await t.c.db.query('SELECT previous_raw, new_raw, lost_volume, offset_before, offset_after FROM totalizer_resets WHERE point_id = $1', [p.pointId]);
    expect(resets.rows).toEqual([{ previous_raw: 5_020, new_raw: 100, lost_volume: 5_020, offset_before: 0, offset_after: 5_020 }]);
    const latest = await t.c.db.query('SELECT value_numeric FROM latest_values WHERE point_id = $1 AND variable = $2', [p.pointId, 'pulsos']);
    expect(latest.rows).toEqual([{ value_numeric: 5_120 }]);
    const hourly = await t.c.db.query<{ bucket: Date; last_value: number }>(
      `SELECT bucket, last_value FROM measurement_rollups WHERE resolution = '1h' AND point_id = $1 AND variable = 'pulsos' ORDER BY bucket`,
      [p.pointId],
    );
    expect(hourly.rows.map((r) => r.last_value)).toEqual([5_020, 5_120]);

    // The next reading continues from the moved offset; the slot sends the meter reading.
    await feed(p.pointId, [['pulsos', '17:05', 110]]);
    expect((await stored(p.pointId, 'pulsos')).at(-1)!.value_numeric).toBe(5_130);
    const m = await sent17(p.code);
    expect(m.caudal).toBe('33.33');
    expect(m.totalizador).toBe('100');
  });
});

describe('a truncated totalizer reading', () => {
  const TRUNCATED: Record<string, Json> = { pulsos: { kind: 'pulses', unit: 'pulses', channel: 'pulsos', processing: { pulses_factor: 10 } } };

  it('is held as suspect, not a reset: 10:00 917,550 · 11:00 91,755 · 12:00 917,600 · 13:00 917,700 (factor 10)', async () => {
    const p = await point({ variables: TRUNCATED });
    await feed(p.pointId, [['pulsos', '10:00', 917_550], ['pulsos', '11:00', 91_755]]);
    await feed(p.pointId, [['pulsos', '12:00', 917_600], ['pulsos', '13:00', 917_700]]);
    const rows = await stored(p.pointId, 'pulsos');
    expect(rows.map((r) => [r.value_numeric, r.quality_flags])).toEqual([[9175.5, []], [null, ['suspect_drop']], [9176, []], [9177, []]]);
    const resets = await t.c.db.query('SELECT 1 FROM totalizer_resets WHERE point_id = $1', [p.pointId]);
    expect(resets.rows).toHaveLength(0);
    // The DGA 13:00 slot: 1 m³ in the hour, the meter reading 9,177.
    const clock = new FakeClock(Date.parse('2026-11-20T17:07:00Z'));
    simClock = clock;
    await t.c.dgaReporter({ clock, minSpacingMs: 10 }).tick();
    const sent = sim.received(p.code).map((r) => (r.body as Record<string, any>).medicionSuperficialFlujometro);
    expect(sent.find((m) => m.horaMedicion === '13:00:00')).toMatchObject({ caudal: '0.28', totalizador: '9177' });
    expect(sent.map((m) => m.totalizador)).not.toContain('917');
  });

  it('becomes a reset from the suspect reading on when the next readings continue from the low value', async () => {
    const p = await point({ variables: TRUNCATED });
    await feed(p.pointId, [['pulsos', '10:00', 917_550], ['pulsos', '11:00', 91_755]]);
    await feed(p.pointId, [['pulsos', '12:00', 91_800], ['pulsos', '13:00', 91_900]]);
    const rows = await stored(p.pointId, 'pulsos');
    expect(rows.map((r) => [r.value_numeric, r.meter_value, r.quality_flags])).toEqual([
      [9175.5, 9175.5, []],
      [10093.05, 917.55, ['counter_reset']],
      [10093.5, 918, []],
      [10094.5, 919, []],
    ]);
    const resets = await t.c.db.query('SELECT ts, previous_raw, new_raw, offset_after FROM totalizer_resets WHERE point_id = $1', [p.pointId]);
    expect(resets.rows).toEqual([{ ts: new Date('2026-11-20T15:00:00Z'), previous_raw: 9175.5, new_raw: 917.55, offset_after: 9175.5 }]);
    const hourly = await t.c.db.query<{ last_value: number }>(
      `SELECT last_value FROM measurement_rollups WHERE resolution = '1h' AND point_id = $1 AND variable = 'pulsos' ORDER BY bucket`,
      [p.pointId],
    );
    expect(hourly.rows.map((r) => r.last_value)).toEqual([9175.5, 10093.05, 10093.5, 10094.5]);
  });
});
