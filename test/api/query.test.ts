import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { MemoryCache } from '../../src/infra/cache/memory.js';
import { rebuildRollups } from '../../src/telemetry/query/rollup.repository.js';
import { emptyTotalizerState, processSeries, type VariableConfig } from '../../src/telemetry/processing/index.js';
import { LATEST_SNAPSHOT_TIMING, LatestValuesService } from '../../src/telemetry/query/latest.service.js';
import { SeriesService } from '../../src/telemetry/query/series.service.js';
import { FixedClock } from '../../src/lib/clock.js';
import { gunzipSync } from 'node:zlib';
import { store, type Reading } from './query.support.js';

/**
 * Latest values, measurements (buckets, raw, CSV) and consumption through the HTTP API on PGlite,
 * with the data stored the way the processor stores it (measurements, rollups, latest_values).
 */
let t: TestContext;
let mine: Awaited<ReturnType<typeof seedTenant>>;
let theirs: Awaited<ReturnType<typeof seedTenant>>;
let clientToken: string;

const T = (iso: string) => new Date(iso);
const get = (token: string, url: string, headers: Record<string, string> = {}) => t.as(token, { method: 'GET', url, headers });

async function write(readings: Reading[]) {
  const inserted = await store(t.c.db, readings);
  await t.c.latest.onWritten([...new Set(readings.map((r) => r.point_id))]);
  return inserted;
}

beforeAll(async () => {
  t = await createTestContext();
  mine = await seedTenant(t, 'mine', 2);
  theirs = await seedTenant(t, 'theirs', 1);
  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'reader@mine.cl', 'reader-password'));
});
afterAll(async () => t.close());

describe('latest values', () => {
  beforeAll(async () => {
    await write([
      { point_id: mine.points[0]!, variable: 'flow', ts: T('2025-03-10T10:00:00Z'), value: 12.5, quality_score: 0.9 },
      { point_id: mine.points[0]!, variable: 'flow', ts: T('2025-03-10T10:01:00Z'), value: 13.25 },
      { point_id: mine.points[0]!, variable: 'status', ts: T('2025-03-10T10:01:00Z'), value: 'pump on' },
      { point_id: theirs.points[0]!, variable: 'flow', ts: T('2025-03-10T10:01:00Z'), value: 99 },
    ]);
  });

  it('answers point id and variables with value, timestamp and quality for one point', async () => {
    const r = await get(clientToken, `/api/v1/points/${mine.points[0]}/latest`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      point_id: mine.points[0],
      variables: [
        { variable: 'flow', value: 13.25, timestamp: '2025-03-10T10:01:00.000Z', quality_score: 1 },
        { variable: 'status', value: 'pump on', timestamp: '2025-03-10T10:01:00.000Z', quality_score: 1 },
      ],
    });
  });

  it('lists every point the user may see, including points without readings, and only those', async () => {
    const r = await get(clientToken, '/api/v1/latest');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.items.map((i: any) => i.point_id)).toEqual([...mine.points].sort((a, b) => a - b));
    expect(r.body.items.find((i: any) => i.point_id === mine.points[1]).variables).toEqual([]);
    const admin = await get(t.adminToken, '/api/v1/latest');
    expect(admin.body.items.map((i: any) => i.point_id)).toEqual(expect.arrayContaining([...mine.points, ...theirs.points]));
  });

  it('filters by point_ids, leaving out points of another client', async () => {
    const r = await get(clientToken, `/api/v1/latest?point_ids=${theirs.points[0]},${mine.points[0]}`);
    expect(r.body.items.map((i: any) => i.point_id)).toEqual([mine.points[0]]);
    expect(r.body.items[0].variables.map((v: any) => v.value)).not.toContain(99);
  });

  it('hides another client’s point', async () => {
    expect((await get(clientToken, `/api/v1/points/${theirs.points[0]}/latest`)).status).toBe(404);
    expect((await get(clientToken, '/api/v1/points/999999/latest')).status).toBe(404);
  });

  it('moves on after the processor writes, and is rebuilt from latest_values after a cache flush', async () => {
    await get(clientToken, '/api/v1/latest'); // warm
    await write([{ point_id: mine.points[0]!, variable: 'flow', ts: T('2025-03-10T10:02:00Z'), value: 14 }]);
    const after = await get(clientToken, `/api/v1/points/${mine.points[0]}/latest`);
    expect(after.body.variables[0]).toMatchObject({ value: 14, timestamp: '2025-03-10T10:02:00.000Z' });

    // Flush the cache and drop the history: the answer must come from latest_values alone. The
    // dashboard is a snapshot, which shows the write within its staleness bound.
    await (t.c.cache as MemoryCache).close();
    await t.c.db.exec('DELETE FROM measurements');
    const p0 = async () => (await get(clientToken, '/api/v1/latest')).body.items.find((i: any) => i.point_id === mine.points[0]);
    await vi.waitFor(async () => expect((await p0()).variables.map((v: any) => [v.variable, v.value])).toEqual([['flow', 14], ['status', 'pump on']]), {
      timeout: LATEST_SNAPSHOT_TIMING.maxStalenessMs + 1000,
      interval: 50,
    });
  });

  it('offers the dashboard gzip-compressed, the same JSON, and says the answer varies by encoding', async () => {
    const service = new LatestValuesService({ db: t.c.db, cache: t.c.cache, gzipMinBytes: 0 });
    const admin = { userId: 1, role: 'admin' as const, clientId: null };
    const gz = await service.forPointsGzip(admin);
    expect(gunzipSync(gz!).toString()).toBe((await service.forPointsJson(admin)).toString());
    const small = await get(clientToken, '/api/v1/latest', { 'accept-encoding': 'gzip' });
    expect(small.headers['vary']).toBe('accept-encoding');
    expect(small.headers['content-encoding']).toBeUndefined(); // a few points: not worth compressing
  });

  it('follows a point created after the dashboard was cached', async () => {
    await get(t.adminToken, '/api/v1/latest');
    const extra = await seedTenant(t, 'later', 1);
    const r = await get(t.adminToken, '/api/v1/latest');
    expect(r.body.items.map((i: any) => i.point_id)).toContain(extra.points[0]);
  });
});

describe('measurements', () => {
  let p: number;
  beforeAll(async () => {
    p = mine.points[1]!;
    // One reading every 10 minutes for a year (52,560), values 0…99 repeating; a few minute readings on one day.
    await t.c.db.query('SELECT sh_ensure_measurement_partition(m) FROM generate_series($1::timestamptz, $2::timestamptz, interval \'1 month\') m', [
      '2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z',
    ]);
    await t.c.db.query(
      `INSERT INTO measurements (point_id, variable, ts, value_numeric)
       SELECT $1, 'flow', ts, (row_number() OVER (ORDER BY ts) - 1) % 100
       FROM generate_series('2024-01-01T00:00:00Z'::timestamptz, '2024-12-31T23:50:00Z', interval '10 minutes') ts`,
      [p],
    );
    await rebuildRollups(t.c.db, { pointIds: [p] });
    await write([
      { point_id: p, variable: 'level', ts: T('2025-03-10T10:00:00Z'), value: 41.5 },
      { point_id: p, variable: 'level', ts: T('2025-03-10T10:30:00Z'), value: 42.5 },
      { point_id: p, variable: 'level', ts: T('2025-03-10T11:00:00Z'), value: 40 },
      { point_id: p, variable: 'level', ts: T('2025-03-10T11:30:00Z'), value: 45 },
      { point_id: p, variable: 'level', ts: T('2025-03-10T12:00:00Z'), value: 50 },
      { point_id: p, variable: 'note', ts: T('2025-03-10T10:00:00Z'), value: 'valve "B", half open' },
    ]);
  });

  const url = (q: string) => `/api/v1/points/${p}/measurements?${q}`;

  it('auto answers a year with at most 2,000 buckets from the rollups', async () => {
    const r = await get(clientToken, url('variable=flow&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&bucket=auto'));
    expect(r.status).toBe(200);
    expect(r.body.bucket).toBe('6h');
    expect(r.body.total).toBe(1464); // 366 days × 4
    expect(r.body.items.length).toBeLessThanOrEqual(2000);
    const first = r.body.items[0];
    // 36 readings per 6 h: values 0…35, last 35.
    expect(first).toEqual({ timestamp: '2024-01-01T00:00:00.000Z', avg: 17.5, min: 0, max: 35, count: 36, last: 35 });
    expect(r.body.items.reduce((s: number, b: any) => s + b.count, 0)).toBe(52_704);
  });

  it('without from/to, covers the day before the clock\'s now', async () => {
    const at = T('2025-03-10T12:30:00Z');
    const c = t.c;
    const series = new SeriesService({ db: c.db, cache: c.cache, points: c.points, schemas: c.schemas, timezone: 'UTC', clock: new FixedClock(at), retentionDays: 3650 });
    const admin = { userId: 1, role: 'admin' as const, clientId: null };
    const r = await series.series(admin, p, { variable: 'level', bucket: 'raw' });
    expect({ from: r.from, to: r.to }).toEqual({ from: '2025-03-09T12:30:00.000Z', to: '2025-03-10T12:30:00.000Z' });
    expect(r.items.map((i) => i.timestamp)).toEqual(['2025-03-10T10:00:00.000Z', '2025-03-10T10:30:00.000Z', '2025-03-10T11:00:00.000Z', '2025-03-10T11:30:00.000Z', '2025-03-10T12:00:00.000Z']);
  });

  it('gives the same buckets from rollups and from raw rows', async () => {
    const q = 'variable=flow&from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z';
    const hourly = await get(clientToken, url(`${q}&bucket=1h`));
    const fromRaw = await get(clientToken, url(`${q}&bucket=15m`));
    expect(hourly.body.total).toBe(24);
    const regrouped = new Map<string, { n: number; sum: number; min: number; max: number; last: number }>();
    for (const b of fromRaw.body.items) {
      const h = b.timestamp.slice(0, 13);
      const g = regrouped.get(h) ?? { n: 0, sum: 0, min: Infinity, max: -Infinity, last: NaN };
      regrouped.set(h, { n: g.n + b.count, sum: g.sum + b.avg * b.count, min: Math.min(g.min, b.min), max: Math.max(g.max, b.max), last: b.last });
    }
    for (const b of hourly.body.items) {
      const g = regrouped.get(b.timestamp.slice(0, 13))!;
      expect([b.count, b.min, b.max, b.last]).toEqual([g.n, g.min, g.max, g.last]);
      expect(b.avg).toBeCloseTo(g.sum / g.n, 9);
    }
  });

  it('returns the whole buckets overlapping [from, to): to is exclusive', async () => {
    const r = await get(clientToken, url('variable=level&from=2025-03-10T10:15:00Z&to=2025-03-10T12:00:00Z&bucket=1h'));
    expect(r.body.from).toBe('2025-03-10T10:00:00.000Z');
    expect(r.body.to).toBe('2025-03-10T12:00:00.000Z');
    expect(r.body.items).toEqual([
      { timestamp: '2025-03-10T10:00:00.000Z', avg: 42, min: 41.5, max: 42.5, count: 2, last: 42.5 },
      { timestamp: '2025-03-10T11:00:00.000Z', avg: 42.5, min: 40, max: 45, count: 2, last: 45 },
    ]);
    const minutes = await get(clientToken, url('variable=level&from=2025-03-10T10:00:00Z&to=2025-03-10T12:00:00Z&bucket=1m'));
    expect(minutes.body.items.map((b: any) => b.timestamp.slice(11, 16))).toEqual(['10:00', '10:30', '11:00', '11:30']);
  });

  it('pages raw readings with limit and next_from', async () => {
    const q = 'variable=level&from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z&bucket=raw';
    const first = await get(clientToken, url(`${q}&limit=3`));
    expect(first.body.items.map((i: any) => i.value)).toEqual([41.5, 42.5, 40]);
    expect(first.body.items[0]).toEqual({ variable: 'level', timestamp: '2025-03-10T10:00:00.000Z', value: 41.5, quality_score: 1, quality_flags: [] });
    expect(first.body.next_from).toBe('2025-03-10T11:00:00.001Z');
    const rest = await get(clientToken, url(`variable=level&from=${first.body.next_from}&to=2025-03-11T00:00:00Z&bucket=raw&limit=3`));
    expect(rest.body.items.map((i: any) => i.value)).toEqual([45, 50]);
    expect(rest.body.next_from).toBeNull();
  });

  it('says which variables exist when asked for one that does not', async () => {
    const r = await get(clientToken, url('variable=levle&bucket=1h'));
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('VARIABLE_NOT_FOUND');
    expect(r.body.detail).toContain('level');
  });

  it('refuses a JSON answer with too many buckets, pointing to auto or CSV', async () => {
    const r = await get(clientToken, url('variable=flow&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&bucket=1m'));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/csv/);
  });

  it('validates from, to and bucket', async () => {
    expect((await get(clientToken, url('variable=flow&from=2025-13-01'))).body.field).toBe('from');
    expect((await get(clientToken, url('variable=flow&from=2025-03-02&to=2025-03-01'))).status).toBe(400);
    expect((await get(clientToken, url('variable=flow&bucket=2m'))).body.field).toBe('bucket');
  });

  describe('CSV', () => {
    it('streams raw rows with a header, quoting text and flags', async () => {
      const r = await get(clientToken, url('from=2025-03-10T00:00:00Z&to=2025-03-11T00:00:00Z&bucket=raw&format=csv'));
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(r.headers['content-disposition']).toBe(`attachment; filename="point-${p}-all-raw.csv"`);
      expect(r.text.split('\n')).toEqual([
        'point_id,variable,timestamp,value,quality_score,quality_flags',
        `${p},"level",2025-03-10T10:00:00.000Z,41.5,1,""`,
        `${p},"level",2025-03-10T10:30:00.000Z,42.5,1,""`,
        `${p},"level",2025-03-10T11:00:00.000Z,40,1,""`,
        `${p},"level",2025-03-10T11:30:00.000Z,45,1,""`,
        `${p},"level",2025-03-10T12:00:00.000Z,50,1,""`,
        `${p},"note",2025-03-10T10:00:00.000Z,"valve ""B"", half open",1,""`,
        '',
      ]);
    });

    it('streams buckets, chosen by Accept: text/csv too', async () => {
      const r = await get(clientToken, url('variable=level&from=2025-03-10T10:00:00Z&to=2025-03-10T12:00:00Z&bucket=1h'), { accept: 'text/csv' });
      expect(r.text).toBe(
        'point_id,variable,timestamp,avg,min,max,count,last\n' +
          `${p},level,2025-03-10T10:00:00.000Z,42,41.5,42.5,2,42.5\n` +
          `${p},level,2025-03-10T11:00:00.000Z,42.5,40,45,2,45\n`,
      );
    });

    it('exports every row once, in order, across keyset pages', async () => {
      const r = await get(clientToken, url('variable=flow&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&bucket=raw&format=csv'));
      const lines = r.text.trimEnd().split('\n').slice(1);
      expect(lines).toHaveLength(52_704);
      const stamps = lines.map((l) => l.split(',')[2]!);
      expect(new Set(stamps).size).toBe(stamps.length);
      expect([...stamps].sort()).toEqual(stamps);
      expect(lines[0]).toBe(`${p},"flow",2024-01-01T00:00:00.000Z,0,1,""`);
    });

    it('streams 1m buckets of a whole year in windows', async () => {
      const r = await get(clientToken, url('variable=flow&from=2024-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&bucket=1m&format=csv'));
      expect(r.text.trimEnd().split('\n')).toHaveLength(52_705);
    });
  });

  it('hides another client’s point, as JSON and as CSV', async () => {
    const other = `/api/v1/points/${theirs.points[0]}/measurements?variable=flow`;
    expect((await get(clientToken, other)).status).toBe(404);
    const csv = await get(clientToken, `${other}&bucket=raw&format=csv`);
    expect(csv.status).toBe(404);
    expect(csv.headers['content-type']).toContain('application/problem+json');
    expect(csv.text).not.toContain('point_id,variable');
  });
});

describe('consumption', () => {
  let p: number;
  const totalizerConfig: VariableConfig = { kind: 'totalizer', channel: 'tot', unit: 'm3' };

  beforeAll(async () => {
    p = mine.points[0]!;
    await t.as(t.adminToken, {
      method: 'PUT',
      url: `/api/v1/points/${p}/schema`,
      payload: { custom_config: { totalizer: totalizerConfig, flow: { kind: 'flow', channel: 'q' } } },
    });
    await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${p}`, payload: { dga_granted_flow: 20, dga_annual_volume: 300_000 } });
    // The logger's counter, every 10 min for 3 local days (UTC−4) from 2025-05-01 00:00 local, +3.6 m³ each
    // (6 L/s); on day 2 at 12:00 local the counter restarts from 0. The processor makes the series continuous.
    const raw = [];
    let counter = 50_000;
    for (let i = 0; i <= 3 * 144; i++) {
      const ts = new Date(Date.UTC(2025, 4, 1, 4) + i * 600_000);
      if (i === 144 + 72) counter = 0;
      raw.push({ variable: 'totalizer', ts, raw: counter });
      counter += 3.6;
    }
    const processed = processSeries(raw, totalizerConfig, { counterLimits: { maxM3PerHour: 500, resetToleranceM3: 0.01 }, retentionDays: 3650 }, emptyTotalizerState(), T('2025-06-01T00:00:00Z'));
    expect(processed.resets).toHaveLength(1);
    const rows: Reading[] = processed.outcomes.map((outcome) => {
      if (!outcome.ok) throw new Error('unexpected dead letter');
      return { point_id: p, variable: 'totalizer', ts: outcome.measurement.ts, value: outcome.measurement.value_numeric };
    });
    rows.push({ point_id: p, variable: 'flow', ts: T('2025-05-02T15:00:00Z'), value: 25 });
    await write(rows);
  });

  it('gives the volume per local day across a counter reset, with the average flow against the grant', async () => {
    const r = await get(clientToken, `/api/v1/points/${p}/consumption?from=2025-05-01&to=2025-05-04&period=day`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ variable: 'totalizer', flow_variable: 'flow', timezone: 'Etc/GMT+4', granted_flow_ls: 20, annual_volume_m3: 300_000, total: 3 });
    const [d1, d2, d3] = r.body.items;
    expect(d1).toMatchObject({ period: '2025-05-01', start: '2025-05-01T04:00:00.000Z', end: '2025-05-02T04:00:00.000Z', resets: 0 });
    expect(d1.volume_m3).toBeCloseTo(143 * 3.6, 6); // 144 readings, the first is the base
    // Day 2 measures from the last reading of day 1. The counter read 0 (a glitch, not stored) and then
    // restarted: the 3.6 m³ of the interval it restarted in are lost, the rest of the day is counted.
    expect(d2.volume_m3).toBeCloseTo(143 * 3.6, 6);
    expect(d2.avg_flow_ls).toBeCloseTo((143 * 3.6 * 1000) / 86_400, 3);
    expect(d2.pct_of_granted_flow).toBeCloseTo((143 * 3.6 * 1000 * 100) / 86_400 / 20, 2);
    expect(d2.max_flow_ls).toBe(25);
    expect(d2.max_pct_of_granted_flow).toBe(125);
    expect(d3.volume_m3).toBeCloseTo(144 * 3.6, 6);
    expect(d3.pct_of_annual_volume).toBeCloseTo((144 * 3.6 * 100) / 300_000, 2);
    expect(r.body.summary.volume_m3).toBeCloseTo(430 * 3.6, 6);
    expect(r.body.summary.measured_to).toBe('2025-05-04T03:50:00.000Z');
  });

  it('adds the days up into the month', async () => {
    const r = await get(clientToken, `/api/v1/points/${p}/consumption?from=2025-05-01&to=2025-05-02&period=month`);
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0]).toMatchObject({ period: '2025-05', start: '2025-05-01T04:00:00.000Z' });
    // The month runs to the last reading (05-04 00:00 local): 432 intervals, one lost to the restart.
    expect(r.body.items[0].volume_m3).toBeCloseTo(431 * 3.6, 6);
  });

  it('gives a month the sum of its days, leaving out a glitch at the end of a day, whatever rollups it reads', async () => {
    const q = theirs.points[0]!;
    const rows: Reading[] = [];
    let value = 100;
    for (let i = 0; i < 6 * 48; i++) {
      const ts = new Date(Date.UTC(2025, 5, 10, 4) + i * 1_800_000);
      value += 1;
      if (ts.toISOString() === '2025-06-12T12:00:00.000Z') value = 3; // imported history: a counter restart, not compensated
      const glitch = ts.toISOString() === '2025-06-11T23:30:00.000Z'; // the last reading of a UTC day
      rows.push({ point_id: q, variable: 'totalizer', ts, value: glitch ? 4_294_967_295 : value });
    }
    await write(rows);
    const base = `/api/v1/points/${q}/consumption?variable=totalizer&from=2025-06-10&to=2025-06-16`;
    const byDay = await get(t.adminToken, `${base}&period=day`);
    const byMonth = await get(t.adminToken, `${base}&period=month`);
    const dayTotal = byDay.body.items.reduce((s: number, d: any) => s + (d.volume_m3 ?? 0), 0);
    expect(byMonth.body.items).toHaveLength(1);
    expect(byMonth.body.items[0].volume_m3).toBeCloseTo(dayTotal, 6);
    expect(byMonth.body.items[0].spikes_ignored).toBe(1);
    expect(byMonth.body.items[0].resets).toBe(1);
    // 287 steps of 1 m³, the restart step counts the 3 m³ read after it instead of 1.
    expect(dayTotal).toBeCloseTo(287 + 2, 6);
  });

  it('asks which variable is the totalizer when the schema has none', async () => {
    const r = await get(t.adminToken, `/api/v1/points/${mine.points[1]}/consumption`);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('variable');
  });

  it('hides another client’s point', async () => {
    expect((await get(clientToken, `/api/v1/points/${theirs.points[0]}/consumption`)).status).toBe(404);
  });
});
