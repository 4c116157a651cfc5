import { afterEach, describe, expect, it } from 'vitest';
import { readDumpRows } from '../../src/legacy/dumpdata.reader.js';
import type { ImportReport } from '../../src/legacy/report.js';
import type { TestContext } from '../support/context.js';
import { MEASUREMENT_ROWS, REGISTRY_DUMP } from './fixtures.js';

async function* chunked(value: unknown, size = 211): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(JSON.stringify(value));
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const importDump = (t: TestContext, dump: unknown[], dryRun = false, batchReadings = 4): Promise<ImportReport> =>
  t.c.legacyImport.run(readDumpRows(chunked(dump)), { files: ['dump.json'], dryRun, batchReadings });

const DUMP = [...MEASUREMENT_ROWS.slice(0, 4), ...REGISTRY_DUMP, ...MEASUREMENT_ROWS.slice(4)];

async function counts(t: TestContext) {
  const q = async (sql: string) => (await t.c.db.query<{ n: number }>(sql)).rows[0]!.n;
  return {
    measurements: await q('SELECT count(*)::int AS n FROM measurements'),
    submissions: await q('SELECT count(*)::int AS n FROM dga_submissions'),
    labels: await q('SELECT count(*)::int AS n FROM dga_receipted_labels'),
    rollups: await q('SELECT count(*)::int AS n FROM measurement_rollups'),
    latest: await q('SELECT count(*)::int AS n FROM latest_values'),
  };
}

/** The legacy readings and receipts, on whatever database `createContext` gives (PGlite, or PostgreSQL in the services suite). */
export function measurementImportSuite(name: string, createTestContext: () => Promise<TestContext>): void {
  describe(`import-legacy: measurements and receipts (${name})`, () => {
    let t: TestContext;
    afterEach(async () => t?.close());

    it('stores each reading once with its legacy flag, accounts for every row, keeps receipts and rebuilds rollups and latest values', async () => {
      t = await createTestContext();
      const dry = await importDump(t, DUMP, true);
      expect(await counts(t)).toEqual({ measurements: 0, submissions: 0, labels: 0, rollups: 0, latest: 0 });

      const report = await importDump(t, DUMP);
      // The dry run counted exactly what the real run did.
      expect({ ...dry, dry_run: false }).toEqual(report);
      for (const [model, m] of Object.entries(report.models)) {
        expect(m.read, model).toBe(m.imported + m.duplicates + m.conflicts + m.rejected);
        expect(m.rejects.length, model).toBe(m.rejected);
      }
      expect(report.models['core.interactiondetail']).toEqual({ read: 10, imported: 4, duplicates: 1, conflicts: 0, rejected: 5, rejects: [
        { pk: 1003, reason: 'no usable value (flow, total and nivel all empty or not numbers)' },
        { pk: 1004, reason: 'no usable timestamp (date_time_medition "ayer")' },
        { pk: 1005, reason: 'parent client 4 rejected' },
        { pk: 1008, reason: expect.stringMatching(/^1990-01-01T00:00:00.000Z is older than the retention \(RETENTION_DAYS: readings from \d{4}-\d{2}-\d{2} on\)$/) },
        { pk: 1009, reason: '2099-01-01T00:00:00.000Z is in the future' },
      ] });
      expect(report.models['datastore.timeseriesdata']).toEqual({ read: 6, imported: 1, duplicates: 1, conflicts: 1, rejected: 3, rejects: [
        { pk: 903, reason: 'variable 65 belongs to scheme 52, which serves 2 points: the point of its readings is ambiguous' },
        { pk: 904, reason: 'parent variable 62 rejected' },
        { pk: 905, reason: 'no usable timestamp (timestamp null)' },
      ] });
      expect(report.naive_timestamps).toBe(5);
      expect(report.dga_receipts).toEqual({ read: 4, imported: 1, duplicates: 1, skipped: 2 });
      const corrections = report.corrections.map((c) => `${c.model}#${c.pk}.${c.field}: ${c.reason}`);
      expect(corrections).toEqual(expect.arrayContaining([
        'core.interactiondetail#1002.total: empty, dropped',
        'core.interactiondetail#1007.n_voucher: the point has no DGA standard: receipt not kept',
      ]));

      const { rows: points } = await t.c.db.query<{ id: number; title: string }>(`SELECT id, title FROM catchment_points`);
      const id = (title: string) => Number(points.find((p) => p.title === title)!.id);
      const dms = id('Pozo DMS');
      const { rows: stored } = await t.c.db.query<{ variable: string; ts: Date; value_numeric: number; quality_flags: string[]; quality_score: number }>(
        'SELECT variable, ts, value_numeric, quality_flags, quality_score FROM measurements WHERE point_id = $1 ORDER BY ts, variable', [dms]);
      expect(stored.map((r) => [r.ts.toISOString(), r.variable, r.value_numeric, r.quality_flags.join(',')])).toEqual([
        ['2024-01-15T15:00:00.000Z', 'caudal', 12.5, 'legacy_import'],
        ['2024-01-15T15:00:00.000Z', 'nivel', 35.2, 'legacy_import'],
        ['2024-01-15T15:00:00.000Z', 'totalizador', 1234567.5, 'legacy_import'],
        ['2024-01-15T16:00:00.000Z', 'caudal', 12.7, 'legacy_error'],
        ['2024-01-15T16:00:00.000Z', 'nivel', 35.1, 'legacy_error'],
        ['2024-01-15T16:00:00.000Z', 'totalizador', 1234600, 'legacy_error'],
        ['2024-01-15T17:00:00.000Z', 'caudal', 13, 'legacy_import'],
        ['2024-01-15T19:00:00.000Z', 'totalizador', 1234700, 'legacy_import'],
      ]);

      // The receipt is the sent submission of the slot holding the reading (MAYOR, DGA_TIMEZONE), labelled as the legacy system did.
      const { rows: subs } = await t.c.db.query<{ slot_at: Date; status: string; receipt: string; last_response: string }>(
        'SELECT slot_at, status, receipt, last_response FROM dga_submissions WHERE point_id = $1', [dms]);
      expect(subs).toHaveLength(1);
      expect(subs[0]).toMatchObject({ status: 'sent', receipt: 'C-1001' });
      expect(subs[0]!.slot_at.toISOString()).toBe('2024-01-15T15:00:00.000Z');
      expect(JSON.parse(subs[0]!.last_response)).toEqual({ status: '00', message: 'ok' });
      const { rows: labels } = await t.c.db.query('SELECT codigo_obra, fecha_medicion, hora_medicion, receipt, source FROM dga_receipted_labels');
      expect(labels).toEqual([{ codigo_obra: 'OB-0602-7', fecha_medicion: '2024-01-15', hora_medicion: '12:00:00', receipt: 'C-1001', source: 'legacy_import' }]);

      // The API: latest values, the series, consumption from the imported totals, the compliance view counting the receipt as sent.
      const latest = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${dms}/latest` });
      expect(latest.status).toBe(200);
      expect(Object.fromEntries(latest.body.variables.map((v: { variable: string; value: number }) => [v.variable, v.value]))).toEqual({
        caudal: 13, nivel: 35.1, totalizador: 1234700,
      });
      const series = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${dms}/measurements?variable=totalizador&bucket=raw&from=2024-01-15T00:00:00Z&to=2024-01-16T00:00:00Z` });
      expect(series.status).toBe(200);
      expect(series.body.items.map((i: { value: number }) => i.value)).toEqual(expect.arrayContaining([1234567.5, 1234600, 1234700]));
      const hourly = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${dms}/measurements?variable=caudal&bucket=1h&from=2024-01-15T00:00:00Z&to=2024-01-16T00:00:00Z` });
      expect(hourly.status).toBe(200);
      expect(hourly.body.items.length).toBe(3);
      const consumption = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${dms}/consumption?from=2024-01-14T00:00:00Z&to=2024-01-17T00:00:00Z` });
      expect(consumption.status).toBe(200);
      const volume = consumption.body.items.reduce((s: number, i: { volume_m3: number | null }) => s + (i.volume_m3 ?? 0), 0);
      expect(volume).toBeCloseTo(1234700 - 1234567.5, 6);
      const compliance = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/compliance?point_id=${dms}&from=2024-01-15T00:00:00Z&to=2024-01-16T00:00:00Z` });
      expect(compliance.status).toBe(200);
      const line = compliance.body.points.find((p: { point_id: number }) => p.point_id === dms);
      expect(line.sent_on_time + line.sent_late).toBe(1);

      // A re-run imports nothing new: every row a duplicate (the conflict stays a conflict), no new receipt.
      const before = await counts(t);
      const again = await importDump(t, [...DUMP].reverse());
      expect(await counts(t)).toEqual(before);
      expect(again.models['core.interactiondetail']).toMatchObject({ imported: 0, duplicates: 5, rejected: 5 });
      expect(again.models['datastore.timeseriesdata']).toMatchObject({ imported: 0, duplicates: 2, conflicts: 1, rejected: 3 });
      expect(again.dga_receipts).toEqual({ read: 4, imported: 0, duplicates: 2, skipped: 2 });
    });
  });
}
