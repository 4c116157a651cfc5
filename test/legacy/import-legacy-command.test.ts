import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importLegacyCommand } from '../../src/cli/import-legacy.command.js';
import { buildContainer } from '../../src/container.js';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/infra/logger.js';
import { testConfig } from '../support/context.js';
import { REGISTRY_DUMP } from './fixtures.js';

let dir: string;
let cfg: Config;
let registryFile: string;
let pointsFile: string;

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stream, text: () => text };
}

async function run(args: string[]) {
  const out = sink();
  const err = sink();
  const code = await importLegacyCommand(args, { config: cfg, io: { out: out.stream, err: err.stream, tty: false } });
  return { code, out: out.text(), err: err.text() };
}

async function pointCount(): Promise<number> {
  const c = await buildContainer(cfg, { logger: createLogger('silent') });
  try {
    return (await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM catchment_points')).rows[0]!.n;
  } finally {
    await c.close();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-legacy-'));
  cfg = testConfig({ dataDir: join(dir, 'data') });
  // Two files; the points come first, their clients and projects in the second.
  const isChild = (m: string) => !['core.client', 'core.projectcatchments'].includes(m);
  pointsFile = join(dir, 'points.json');
  registryFile = join(dir, 'core.json');
  writeFileSync(pointsFile, JSON.stringify(REGISTRY_DUMP.filter((r) => isChild(r.model)), null, 2));
  writeFileSync(registryFile, JSON.stringify(REGISTRY_DUMP.filter((r) => !isChild(r.model))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('smarthydro import-legacy (embedded)', () => {
  it('a dry run writes nothing; the real run imports, with a summary per model and a JSON report; a re-run imports nothing', async () => {
    const dry = await run([pointsFile, registryFile, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('dry run: nothing was written');
    expect(await pointCount()).toBe(0);

    const reportFile = join(dir, 'report.json');
    const real = await run([pointsFile, registryFile, '--report', reportFile]);
    expect(real.code).toBe(0);
    expect(real.out).toContain('core.catchmentpoint: 5 read, 4 imported, 0 duplicate(s), 0 conflict(s), 1 rejected');
    expect(real.out).toContain('datastore.timeseriesdata: 1 read, 1 imported, 0 duplicate(s), 0 conflict(s), 0 rejected');
    // Not a terminal: a progress line per model.
    expect(real.err).toContain('core.client: 4 row(s) read');
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    expect(report).toMatchObject({ dry_run: false, files: [pointsFile, registryFile] });
    expect(report.models['core.catchmentpoint'].rejects).toEqual([{ pk: 21, reason: 'parent client 4 rejected' }]);
    expect(report.corrections.length).toBeGreaterThan(5);
    expect(await pointCount()).toBe(4);
    // The dry run counted exactly what the real run did.
    expect(dry.out.replace('dry run: nothing was written\n', '')).toBe(real.out.replace(`report: ${reportFile}\n`, '--report FILE lists every reject and correction\n'));

    const again = await run([registryFile, pointsFile]);
    expect(again.code).toBe(0);
    expect(again.out).toContain('core.catchmentpoint: 5 read, 0 imported, 4 duplicate(s), 0 conflict(s), 1 rejected');
    expect(await pointCount()).toBe(4);
  }, 120_000);

  it.each([
    [[], 2, 'give at least one dumpdata JSON file'],
    [['--bogus', 'x.json'], 2, 'usage: smarthydro import-legacy'],
    [['/nonexistent/dump.json'], 66, '/nonexistent/dump.json: no such file; check the path'],
  ])('%j exits %i', async (args, code, message) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  it.each([
    ['truncated.json', '[{"model":"core.client","pk":1,"fields":{}', 'invalid JSON'],
    ['object.json', '{"model":"core.client"}', 'not a JSON array'],
  ])('refuses %s naming the file and the fix', async (name, content, reason) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    const r = await run([registryFile, file]);
    expect(r.code).toBe(65);
    expect(r.err).toContain(`${file}: `);
    expect(r.err).toContain(reason);
    expect(r.err).toContain('manage.py dumpdata');
  });

  it('prints a progress line per model, not one per row, when the models interleave', async () => {
    // A point, its DGA row, the next point …: the run of rows of a model changes 80 times.
    const rows = [
      { model: 'core.client', pk: 901, fields: { name: 'Intercalado', rut: '76.086.428-5' } },
      { model: 'core.projectcatchments', pk: 901, fields: { name: 'P', client: 901, code_internal: 'I-1' } },
    ];
    for (let i = 0; i < 40; i++) {
      rows.push({ model: 'core.catchmentpoint', pk: 9000 + i, fields: { project: 901, title: `Pozo ${i}`, is_tdata: true, frecuency: '1' } } as never);
      rows.push({ model: 'core.dgadataconfigcatchment', pk: 9000 + i, fields: { point_catchment: 9000 + i, standard: 'MAYOR', code_dga: `OB-09${i}-1` } } as never);
    }
    const file = join(dir, 'interleaved.json');
    writeFileSync(file, JSON.stringify(rows));
    const r = await run([file, '--dry-run']);
    expect(r.code).toBe(0);
    const lines = r.err.split('\n').filter((l) => l.includes('row(s) read'));
    expect(lines.length).toBeLessThanOrEqual(6);
    // The last line of each model carries its whole count.
    expect(lines.filter((l) => l.startsWith('core.catchmentpoint:')).at(-1)).toBe('core.catchmentpoint: 40 row(s) read');
    expect(lines.filter((l) => l.startsWith('core.dgadataconfigcatchment:')).at(-1)).toBe('core.dgadataconfigcatchment: 40 row(s) read');
  });

  it('refuses a report path it cannot write', async () => {
    const r = await run([registryFile, '--report', join(dir, 'no-such-dir', 'r.json')]);
    expect(r.code).toBe(73);
    expect(r.err).toContain('choose a writable path');
  });
});
