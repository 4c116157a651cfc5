import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../infra/db/index.js';
import { migrate } from '../../infra/db/migrate.js';
import { rollupDeltas } from './rollups.js';
import { rebuildRollups, upsertRollups } from './rollup.repository.js';
import { rollupTable, store, type Reading } from '../../../test/api/query.support.js';

const t = (iso: string) => new Date(iso);
const flow = (iso: string, value: number, point_id = 1): Reading => ({ point_id, variable: 'flow', ts: t(iso), value });

describe('rollups maintained from inserted rows', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb({ memory: true });
    await migrate(db);
  });
  afterAll(async () => db.close());
  beforeEach(async () => {
    await db.exec('DELETE FROM measurement_rollups; DELETE FROM measurements;');
  });

  it('takes in a late reading: its own bucket, earlier first, new minimum; the daily bucket too', async () => {
    await store(db, [flow('2025-03-10T10:10:00Z', 12), flow('2025-03-10T10:20:00Z', 14), flow('2025-03-10T10:50:00Z', 16)], { latest: false });
    await store(db, [flow('2025-03-10T10:05:00Z', 4), flow('2025-03-10T09:30:00Z', 8)], { latest: false });
    const rows = await rollupTable(db);
    const hour10 = rows.find((r) => r.resolution === '1h' && r.bucket.startsWith('2025-03-10 10:'))!;
    expect(hour10).toMatchObject({ n: 4, sum: 46, min: 4, max: 16, first_value: 4, last_value: 16 });
    expect(hour10.first_ts).toBe('2025-03-10 10:05:00+00');
    const hour9 = rows.find((r) => r.resolution === '1h' && r.bucket.startsWith('2025-03-10 09:'))!;
    expect(hour9).toMatchObject({ n: 1, sum: 8, first_value: 8, last_value: 8 });
    const day = rows.find((r) => r.resolution === '1d')!;
    expect(day).toMatchObject({ n: 5, sum: 54, min: 4, max: 16, first_value: 8, last_value: 16 });
    expect(day.first_ts).toBe('2025-03-10 09:30:00+00');
  });

  it('counts a re-delivered reading once: the insert does not return it', async () => {
    const batch = [flow('2025-03-10T10:10:00Z', 12), flow('2025-03-10T10:20:00Z', 14)];
    await store(db, batch, { latest: false });
    const again = await store(db, [...batch, flow('2025-03-10T10:30:00Z', 20)], { latest: false });
    expect(again).toHaveLength(1);
    const hour = (await rollupTable(db)).find((r) => r.resolution === '1h')!;
    expect(hour).toMatchObject({ n: 3, sum: 46, last_value: 20 });
  });

  it('counts a row passed twice in one call once, and leaves out non-numeric values', () => {
    const deltas = rollupDeltas([
      { point_id: 1, variable: 'flow', ts: '2025-03-10T10:10:00Z', value_numeric: 5 },
      { point_id: '1', variable: 'flow', ts: t('2025-03-10T10:10:00Z'), value_numeric: 5 },
      { point_id: 1, variable: 'flow', ts: t('2025-03-10T10:20:00Z'), value_numeric: null },
      { point_id: 1, variable: 'flow', ts: t('2025-03-10T10:30:00Z'), value_numeric: Number.NaN },
    ]);
    expect(deltas.map((d) => [d.resolution, d.n, d.sum])).toEqual([['1d', 1, 5], ['1h', 1, 5]]);
  });

  it('folds rows written series by series (the fast path) exactly as the same rows in any order', () => {
    const rows = [];
    for (const point_id of [2, 1]) {
      for (const variable of ['level', 'flow']) {
        for (let m = 0; m < 200; m++) {
          const value = m % 17 === 0 ? null : ((m * 37) % 101) - 20 + point_id;
          rows.push({ point_id, variable, ts: new Date(Date.UTC(2025, 2, 31, 22) + m * 60_000), value_numeric: value });
        }
      }
    }
    const sorted = rollupDeltas(rows);
    const shuffled = rollupDeltas([...rows].reverse());
    expect(sorted).toEqual(shuffled);
    // 200 minutes from 22:00 cross midnight: 4 hours and 2 days per series.
    expect(sorted.filter((d) => d.resolution === '1h')).toHaveLength(4 * 4);
    expect(sorted.filter((d) => d.resolution === '1d')).toHaveLength(4 * 2);
    expect(sorted.reduce((n, d) => n + (d.resolution === '1d' ? d.n : 0), 0)).toBe(rows.filter((r) => r.value_numeric !== null).length);
  });

  it('gives the same table as a rebuild from the raw rows, whatever the delivery order, batches and re-deliveries', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const all: Reading[] = [];
    for (let i = 0; i < 600; i++) {
      const ts = new Date(Date.UTC(2025, 2, 30) + Math.floor(random() * 4 * 86_400_000 / 60_000) * 60_000); // spans a month end
      all.push({ point_id: 1 + Math.floor(random() * 2), variable: random() < 0.5 ? 'flow' : 'level', ts, value: Math.floor(random() * 200) - 50 });
    }
    const shuffled = [...all].sort(() => random() - 0.5);
    for (let i = 0; i < shuffled.length; ) {
      const size = 1 + Math.floor(random() * 60);
      const batch = shuffled.slice(i, i + size);
      const redelivered = shuffled.slice(Math.max(0, i - 20), i); // at-least-once: part of the previous batch again
      await store(db, [...batch, ...redelivered], { latest: false });
      i += size;
    }
    const incremental = await rollupTable(db);
    const result = await rebuildRollups(db);
    const rebuilt = await rollupTable(db);
    expect(result.hourly).toBeGreaterThan(0);
    expect(incremental).toEqual(rebuilt);
  });

  it('rebuilds only the whole UTC days and points asked for', async () => {
    await store(db, [flow('2025-03-10T10:10:00Z', 1), flow('2025-03-11T10:10:00Z', 2), flow('2025-03-10T10:10:00Z', 3, 2)], { latest: false });
    await db.exec('DELETE FROM measurement_rollups');
    await rebuildRollups(db, { from: t('2025-03-10T12:00:00Z'), to: t('2025-03-10T13:00:00Z'), pointIds: [1] });
    const rows = await rollupTable(db);
    expect(rows.map((r) => [r.resolution, r.point_id, r.bucket.slice(0, 10)])).toEqual([
      ['1d', 1, '2025-03-10'],
      ['1h', 1, '2025-03-10'],
    ]);
  });

  it('adds nothing for an empty batch', async () => {
    await db.transaction((tx) => upsertRollups(tx, []));
    expect(await rollupTable(db)).toEqual([]);
  });
});
