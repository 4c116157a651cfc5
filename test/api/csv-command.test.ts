import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, testConfig } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { buildContainer } from '../../src/container.js';
import { createLogger } from '../../src/infra/logger.js';
import { formatProgress, importCsvCommand } from '../../src/cli/import-csv.command.js';
import type { Config } from '../../src/config.js';

let dir: string;
let cfg: Config;
let pointId: number;

const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000;
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stream, text: () => text };
}

async function run(args: string[]) {
  const out = sink();
  const err = sink();
  const code = await importCsvCommand(args, { config: cfg, io: { out: out.stream, err: err.stream, tty: false } });
  return { code, out: out.text(), err: err.text() };
}

async function measurementCount(): Promise<number> {
  const c = await buildContainer(cfg, { logger: createLogger('silent') });
  try {
    return (await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = $1', [pointId])).rows[0]!.n;
  } finally {
    await c.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-csv-'));
  cfg = testConfig({ dataDir: join(dir, 'data') });
  const t = await createTestContext({ config: cfg, memoryDb: false });
  try {
    const s = await seedTenant(t, 'cli', 1);
    [pointId] = s.points as [number];
    const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'cli', variables_config: templateConfig('twin') } });
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${pointId}/schema`, payload: { template_id: tpl.body.id } });
  } finally {
    await t.close();
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('smarthydro import-csv (embedded)', () => {
  it('stores the readings through the processor, reports rejects, and a second run stores nothing new', async () => {
    const rows = ['timestamp;variable;value'];
    for (let i = 0; i < 250; i++) rows.push(`${at(i)};totalizador;${1000 + i},5`);
    rows.push(`${at(300)};presion;1`);
    rows.push(`${at(301)};caudal`);
    const file = join(dir, 'backfill.csv');
    writeFileSync(file, rows.join('\n'));
    const report = join(dir, 'rejects.json');

    const first = await run([file, '--point', String(pointId), '--report', report, '--every', '100']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('252 line(s), 250 reading(s) accepted, 2 rejected (long layout, delimiter ";")');
    expect(first.out).toContain('line 252: variable "presion" is not configured for this point');
    expect(first.err.split('\n').filter((l) => /lines\/s/.test(l)).length).toBeGreaterThanOrEqual(3); // every 100 lines, and the end
    expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual({
      file,
      point_id: pointId,
      rejects: [
        { line: 252, reason: 'variable "presion" is not configured for this point' },
        { line: 253, reason: 'has 2 field(s), the header has 3 (delimiter ";")' },
      ],
      totals: { lines: 252, accepted: 250, rejected: 2 },
    });
    expect(await measurementCount()).toBe(250);

    const again = await run([file, '--point', String(pointId), '--report', join(dir, 'rejects.csv')]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(dir, 'rejects.csv'), 'utf8')).toBe(
      'line,reason\n252,"variable ""presion"" is not configured for this point"\n253,"has 2 field(s), the header has 3 (delimiter "";"")"\n',
    );
    expect(await measurementCount()).toBe(250);
  }, 120_000);

  it('cannot run: a message naming the file or the point and the fix, and a non-zero exit', async () => {
    const missing = await run([join(dir, 'nope.csv'), '--point', String(pointId)]);
    expect(missing).toMatchObject({ code: 66 });
    expect(missing.err).toContain('nope.csv: no such file; check the path');

    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '\n');
    const header = await run([empty, '--point', String(pointId)]);
    expect(header.code).toBe(65);
    expect(header.err).toMatch(/empty\.csv: CSV header: .*first line.*timestamp,variable,value/);

    const unknown = await run([empty, '--point', '987654']);
    expect(unknown.code).toBe(65);
    expect(unknown.err).toContain('point 987654 does not exist; check --point');

    expect((await run([empty])).code).toBe(2);
  }, 120_000);
});

describe('formatProgress', () => {
  it('shows the share of bytes read, the line rate and the time left', () => {
    expect(formatProgress({ lines: 50_000, bytes: 5 * 1024 ** 2, totalBytes: 20 * 1024 ** 2, elapsedMs: 10_000 }, 8)).toBe(
      '[##......]  25%  5.0 MB / 20.0 MB  5,000 lines/s  ETA 0:30',
    );
  });
});
