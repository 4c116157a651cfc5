import { afterEach, describe, expect, it } from 'vitest';
import { readDumpRows } from '../../src/legacy/dumpdata.reader.js';
import type { ImportReport } from '../../src/legacy/report.js';
import type { TestContext } from '../support/context.js';
import { REGISTRY_DUMP } from './fixtures.js';

async function* chunked(value: unknown, size = 97): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(JSON.stringify(value));
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function importDump(t: TestContext, dump: unknown[], dryRun = false): Promise<ImportReport> {
  return t.c.legacyImport.run(readDumpRows(chunked(dump)), { files: ['dump.json'], dryRun });
}

function expectBalanced(report: ImportReport): void {
  for (const [model, m] of Object.entries(report.models)) {
    expect(m.read, model).toBe(m.imported + m.duplicates + m.conflicts + m.rejected);
    expect(m.rejects.length, model).toBe(m.rejected);
  }
}

async function pointByTitle(t: TestContext, title: string) {
  const { rows } = await t.c.db.query<Record<string, unknown>>(
    `SELECT p.*, pr.client_id FROM catchment_points p JOIN projects pr ON pr.id = p.project_id WHERE title = $1`, [title]);
  return rows[0];
}

/** The registry import, on whatever database `createContext` gives (PGlite, or PostgreSQL in the services suite). */
export function registryImportSuite(name: string, createTestContext: () => Promise<TestContext>): void {
  describe(`import-legacy: registry (${name})`, () => {
    let t: TestContext;
    afterEach(async () => t?.close());

    it('imports clients, projects, points, profiles and DGA configuration, rejecting with reasons and cascading', async () => {
      t = await createTestContext();
      // Warm the cached active-points list: the import must invalidate it.
      const before = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active' });
      expect(before.body.total).toBe(0);
      const report = await importDump(t, REGISTRY_DUMP);
      expectBalanced(report);
      expect(report.models['core.client']).toMatchObject({ read: 4, imported: 2, duplicates: 1, rejected: 1,
        rejects: [{ pk: 4, reason: 'invalid RUT "12.345.678-9"' }] });
      expect(report.models['core.projectcatchments']).toMatchObject({ read: 4, imported: 1, duplicates: 1, rejected: 2,
        rejects: [{ pk: 11, reason: 'parent client 4 rejected' }, { pk: 13, reason: 'client 99 not found in these files or an earlier import' }] });
      expect(report.models['core.catchmentpoint']).toMatchObject({ read: 5, imported: 4, rejected: 1,
        rejects: [{ pk: 21, reason: 'parent client 4 rejected' }] });
      expect(report.models['core.profiledataconfigcatchment']).toMatchObject({ read: 3, imported: 2, rejected: 1,
        rejects: [{ pk: 32, reason: 'parent client 4 rejected' }] });
      expect(report.models['core.dgadataconfigcatchment']).toMatchObject({ read: 2, imported: 2, rejected: 0 });
      expect(report.not_imported).toEqual({});
      // A reading read before the registry it refers to is stored once the registry is in.
      expect(report.models['datastore.timeseriesdata']).toMatchObject({ read: 1, imported: 1 });
      expect(report.models['core.schemescatchment']).toMatchObject({ read: 3, imported: 2, rejected: 1,
        rejects: [{ pk: 51, reason: 'parent client 4 rejected' }] });
      expect(report.models['core.variable']).toMatchObject({ read: 6, imported: 3, rejected: 3, rejects: [
        { pk: 62, reason: 'type_variable "TEMPERATURA" has no SmartHydro variable (NIVEL, CAUDAL, CAUDAL_PROMEDIO, TOTALIZADO)' },
        { pk: 63, reason: 'another variable already configures nivel on the points of scheme 50' },
        { pk: 64, reason: 'parent client 4 rejected' },
      ] });

      const { rows: clients } = await t.c.db.query<{ rut: string }>('SELECT rut FROM clients ORDER BY rut');
      expect(clients.map((c) => c.rut)).toEqual(['6882446-K', '76086428-5']);
      const { rows: withK } = await t.c.db.query<{ address: string }>(`SELECT address FROM clients WHERE rut = '6882446-K'`);
      expect(withK[0]!.address).toBe('Calle 1');

      const dms = await pointByTitle(t, 'Pozo DMS');
      expect(Number(dms!['latitude'])).toBeCloseTo(-33.44897222, 8);
      expect(Number(dms!['longitude'])).toBeCloseTo(-70.65, 8);
      expect(dms).toMatchObject({ provider: 'twin', frequency: 5, is_telemetry_active: true, dga_standard: 'MAYOR', dga_type: 'SUBTERRANEO',
        dga_code: 'OB-0602-7', dga_shac: 'SHAC-1', dga_informant_rut: '76086428-5', dga_company_rut: '76086428-5', dga_send: true });
      expect(String(dms!['dga_start_date']).slice(0, 10)).toBe('2023-03-01');
      expect(Number(dms!['well_depth'])).toBe(120.5);
      expect(Number(dms!['pump_position'])).toBe(80);
      expect(dms!['pipe_diameter']).toBeNull();
      expect(Number(dms!['initial_meter_reading'])).toBe(1234567);
      expect(Number(dms!['dga_granted_flow'])).toBe(12.5);
      expect(Number(dms!['dga_annual_volume'])).toBe(1394200);
      expect((dms!['telemetry_start_at'] as Date).toISOString()).toBe('2023-03-01T03:00:00.000Z');
      // Credentials are stored encrypted, and decrypt to what the legacy system held.
      expect(dms!['provider_token_enc']).not.toContain('tok-secret');
      expect(t.c.secrets.decrypt(dms!['provider_token_enc'] as string)).toBe('tok-secret');
      expect(t.c.secrets.decrypt(dms!['dga_password_enc'] as string)).toBe('clave-dga');

      const flags = await pointByTitle(t, 'Dos banderas');
      expect(flags).toMatchObject({ provider: null, frequency: 60, is_telemetry_active: false, dga_standard: 'MEDIO', dga_code: null, dga_informant_rut: null });
      expect(Number(flags!['latitude'])).toBeCloseTo(-33.4489, 8);
      // The project of the duplicate legacy client is the first client's project.
      const swapped = await pointByTitle(t, 'Invertido');
      expect(swapped).toMatchObject({ provider: 'nettra', frequency: 60, client_id: dms!['client_id'], project_id: dms!['project_id'] });
      expect([Number(swapped!['latitude']), Number(swapped!['longitude'])]).toEqual([-33.4, -70.6]);
      expect(await pointByTitle(t, 'Sin coordenadas')).toMatchObject({ latitude: null, longitude: null, frequency: 10 });

      const corrections = report.corrections.map((c) => `${c.model}#${c.pk}.${c.field}: ${c.reason}`);
      expect(corrections).toEqual(expect.arrayContaining([
        'core.catchmentpoint#20.lat: hemisphere letter, degrees-minutes-seconds',
        'core.catchmentpoint#22.provider: several provider flags set (is_tdata, is_novus): no provider, telemetry inactive',
        'core.catchmentpoint#22.frecuency: frecuency "15" is not 1, 5, 10 or 60: 60 minutes, telemetry inactive',
        'core.catchmentpoint#22.lat: no sign or hemisphere, negated',
        'core.catchmentpoint#23.lat: decimal comma, latitude and longitude swapped',
        'core.catchmentpoint#24.lat: unparseable',
        'core.profiledataconfigcatchment#30.d5: not a number, dropped',
        'core.profiledataconfigcatchment#31.is_telemetry: the point has no usable provider or frecuency: telemetry inactive',
        'core.dgadataconfigcatchment#40.standard: standard SIN_ESTANDAR treated as MAYOR',
        'core.dgadataconfigcatchment#41.code_dga: not a código de obra (OB-0000-0), dropped',
        'core.dgadataconfigcatchment#41.rut_report_dga: invalid RUT, dropped',
      ]));
      expect(corrections).toContain("core.dgadataconfigcatchment#40.dga_company_rut: the legacy system had none: the client's RUT");
      expect(corrections.find((c) => c.startsWith('core.dgadataconfigcatchment#40.send_dga'))).toBeUndefined();

      // The map endpoints show the corrected coordinates.
      const inChile = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points?bbox=-110,-56,-66,-17.4&limit=50' });
      expect(inChile.status).toBe(200);
      expect(inChile.body.items.map((p: { title: string }) => p.title).sort()).toEqual(['Dos banderas', 'Invertido', 'Pozo DMS']);
      // Scheme variables configure each point of the scheme, with the legacy processing.
      const ids = { dms: dms!['id'], flags: flags!['id'], swapped: swapped!['id'] };
      const schemaOf = async (id: unknown) => (await t.as(t.adminToken, { method: 'GET', url: `/api/v1/points/${id}/schema` })).body.merged_config;
      expect(await schemaOf(ids.dms)).toEqual({
        nivel: { kind: 'level', channel: 'lvl', label: 'Nivel freático', processing: { divisor: 100 } },
        totalizador: { kind: 'totalizer', channel: 'tot', label: 'Totalizador' },
      });
      // The legacy `addition` (1500,5) becomes the totalizer's offset: collected totals continue the legacy ones.
      expect(await schemaOf(ids.flags)).toEqual({
        caudal: { kind: 'flow', channel: 'q', processing: { m3h_to_ls: true } },
        totalizador: { processing: { offset: 1500.5 } },
      });
      expect(await schemaOf(ids.swapped)).toEqual({ caudal: { kind: 'flow', channel: 'q', processing: { m3h_to_ls: true } } });
      expect(corrections).toEqual(expect.arrayContaining([
        'core.schemescatchment#52.points_catchment: point left out: parent client 4 rejected',
        'core.variable#61.pulses_factor: not applied: imported values already carry it; set the pulse factor on the point if it collects pulses',
      ]));
      const active = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/points/active' });
      expect(active.body.points.map((p: { title: string }) => p.title)).toEqual(['Pozo DMS']);
    });

    it('imports nothing new the second time, whatever the file order', async () => {
      t = await createTestContext();
      await importDump(t, REGISTRY_DUMP);
      const again = await importDump(t, [...REGISTRY_DUMP].reverse());
      expectBalanced(again);
      for (const [model, m] of Object.entries(again.models)) {
        expect(m.imported, model).toBe(0);
      }
      expect(again.models['core.catchmentpoint']).toMatchObject({ duplicates: 4, rejected: 1 });
      const { rows } = await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM catchment_points');
      expect(rows[0]!.n).toBe(4);
    });

    it('resolves parents imported by an earlier file', async () => {
      t = await createTestContext();
      const parents = REGISTRY_DUMP.filter((r) => r.model === 'core.client' || r.model === 'core.projectcatchments');
      const children = REGISTRY_DUMP.filter((r) => !parents.includes(r));
      await importDump(t, parents);
      const later = await importDump(t, children);
      expect(later.models['core.catchmentpoint']).toMatchObject({ imported: 4, rejected: 1 });
      // An earlier run's rejects are not remembered, so the child of a rejected parent names the missing parent.
      expect(later.models['core.catchmentpoint']!.rejects).toEqual([{ pk: 21, reason: 'project 11 not found in these files or an earlier import' }]);
    });

    it('a dry run reports the same counts and writes nothing', async () => {
      t = await createTestContext();
      const dry = await importDump(t, REGISTRY_DUMP, true);
      expect(dry.dry_run).toBe(true);
      const { rows } = await t.c.db.query<{ n: number }>(
        'SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM catchment_points) + (SELECT count(*) FROM legacy_ids) AS n');
      expect(Number(rows[0]!.n)).toBe(0);
      const real = await importDump(t, REGISTRY_DUMP);
      expect({ ...dry, dry_run: false }).toEqual(real);
    });
  });
}
