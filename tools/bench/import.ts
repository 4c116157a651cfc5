/**
 * The legacy import at scale: a generated `dumpdata` file of N InteractionDetail rows (and the registry
 * they refer to) imported by `smarthydro import-legacy` in a child process — embedded (a PGlite data
 * folder of its own) or into the bench's PostgreSQL database — with its wall time and peak RSS (VmHWM),
 * against a bare COPY of the resulting measurements into `measurements` in the same run.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Container } from '../../src/container.js';
import { peakRssOf, result, type BenchResult } from './stats.js';

/** The bars: import speed as a fraction of a bare COPY of its measurements; the importer's peak memory. */
export const IMPORT_COPY_RATIO_TARGET = 0.3;
export const IMPORT_RSS_TARGET_MB = 300;

const POINTS = 100;
const READINGS_PER_ROW = 3;
/** Every so many rows carries a DGA receipt (an hourly MAYOR slot per point, as the legacy system sent). */
const VOUCHER_EVERY = 60;
const START = Date.UTC(2023, 0, 1, 3, 0, 0);

export interface ImportBenchOptions {
  rows: number;
  progress: (msg: string) => void;
}

/** The instant, flow, total and level of row i (point i % POINTS, one row per point and minute). */
function rowValues(i: number) {
  const point = i % POINTS;
  const minute = Math.floor(i / POINTS);
  const ts = START + minute * 60_000;
  const flow = 10 + ((i * 7) % 50) / 10;
  const total = 1_000_000 + point * 1000 + minute * 0.75;
  const nivel = 30 + (minute % 100) / 100;
  return { point, ts, flow, total, nivel };
}

/** Writes the dump: registry first, then the rows; `total` as the legacy strings (decimal comma, thousands dots). */
export async function writeDump(path: string, rows: number, progress: (msg: string) => void): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('[');
  await write(JSON.stringify({ model: 'core.client', pk: 1, fields: { name: 'Bench', rut: '76.086.428-5' } }));
  await write(',' + JSON.stringify({ model: 'core.projectcatchments', pk: 1, fields: { name: 'Bench', client: 1, code_internal: 'B-1' } }));
  for (let p = 0; p < POINTS; p++) {
    await write(',' + JSON.stringify({ model: 'core.catchmentpoint', pk: 100 + p, fields: {
      project: 1, title: `Pozo ${p}`, is_tdata: true, lat: `-${20 + p / 10}`, lon: '-70.5', frecuency: '1' } }));
    await write(',' + JSON.stringify({ model: 'core.dgadataconfigcatchment', pk: 100 + p, fields: {
      point_catchment: 100 + p, send_dga: false, standard: 'MAYOR', type_dga: 'SUBTERRANEO', code_dga: `OB-0${100 + p}-1` } }));
  }
  let last = performance.now();
  for (let i = 0; i < rows; i++) {
    const v = rowValues(i);
    const total = v.total.toFixed(2).replace('.', ',').replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    const voucher = i % (POINTS * VOUCHER_EVERY) < POINTS ? `"C-${i}"` : '""';
    await write(
      `,{"model":"core.interactiondetail","pk":${i + 1},"fields":{"catchment_point":${100 + v.point},` +
        `"date_time_medition":"${new Date(v.ts).toISOString()}","date_time_last_logger":null,"flow":${v.flow},"pulses":null,` +
        `"total":"${total}","total_diff":null,"total_today_diff":null,"nivel":${v.nivel},"water_table":null,` +
        `"send_dga":false,"return_dga":null,"n_voucher":${voucher},"is_error":false}}`,
    );
    if (performance.now() - last > 5000) {
      last = performance.now();
      progress(`import: writing the dump, ${i.toLocaleString('en')} of ${rows.toLocaleString('en')} rows`);
    }
  }
  await write(']');
  out.end();
  await once(out, 'finish');
}

/** The CLI entry of the build this bench belongs to (dist/src/main.js). */
function mainScript(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
}

/** Runs a CLI command in a child; its peak RSS is read from /proc while it runs (VmHWM: the high-water mark). */
async function runCommand(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; peakRssMb: number; code: number | null; stderr: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [mainScript(), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let peakMb = 0;
  const poll = setInterval(() => (peakMb = Math.max(peakMb, peakRssOf(child.pid!) ?? 0)), 100);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(poll);
  return { ms: performance.now() - t0, peakRssMb: peakMb, code, stderr };
}

/** A bare COPY of the measurements the import produced, into the bench's own `measurements` table; rows/s. */
async function bareCopyRate(c: Container, rows: number): Promise<number> {
  const months = new Set<number>();
  for (let i = 0; i < rows; i += POINTS) {
    const d = new Date(rowValues(i).ts);
    const m = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    if (!months.has(m)) {
      months.add(m);
      await c.db.query('SELECT sh_ensure_measurement_partition($1)', [new Date(m)]);
    }
  }
  const variables = ['caudal', 'totalizador', 'nivel'] as const;
  function* lines(): Generator<string> {
    for (let i = 0; i < rows; i++) {
      const v = rowValues(i);
      const ts = new Date(v.ts).toISOString();
      const values = [v.flow, v.total, v.nivel];
      for (let k = 0; k < READINGS_PER_ROW; k++) {
        yield `${9_000_000 + v.point}\t${variables[k]}\t${ts}\t${values[k]}\t1\t{legacy_import}\tlegacy\n`;
      }
    }
  }
  // In COPYs of 100,000 rows: PGlite takes each COPY as one in-memory blob, and one blob of millions of
  // rows is far slower than the same rows in pieces (PostgreSQL streams either way).
  const columns = ['point_id', 'variable', 'ts', 'value_numeric', 'quality_score', 'quality_flags', 'provider'];
  const t0 = performance.now();
  let chunk: string[] = [];
  for (const line of lines()) {
    chunk.push(line);
    if (chunk.length === 100_000) {
      await c.db.copyFrom('measurements', columns, chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await c.db.copyFrom('measurements', columns, chunk);
  const seconds = (performance.now() - t0) / 1000;
  await c.db.query('DELETE FROM measurements WHERE point_id >= 9000000');
  return (rows * READINGS_PER_ROW) / seconds;
}

export async function benchImport(c: Container, opts: ImportBenchOptions): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'smarthydro-bench-import-'));
  try {
    const dump = join(dir, 'interactions.json');
    opts.progress(`import: writing a dump of ${opts.rows.toLocaleString('en')} InteractionDetail rows …`);
    await writeDump(dump, opts.rows, opts.progress);
    const size = (await stat(dump)).size;
    const embedded = c.db.kind !== 'postgres';
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    if (embedded) {
      delete env['DATABASE_URL'];
      env['DATA_DIR'] = join(dir, 'data');
    } else {
      env['DATABASE_URL'] = c.config.databaseUrl;
      env['SECRET_KEY'] = c.config.secretKey;
    }
    if (embedded) {
      // The import goes into an existing installation: the data folder is created first (PGlite's initdb
      // alone peaks near 800 MB, once per installation), by `migrate` in a process of its own.
      const init = await runCommand(['migrate'], env);
      if (init.code !== 0) throw new Error(`migrate exited ${init.code}: ${init.stderr}`);
    }
    const reportFile = join(dir, 'report.json');
    opts.progress(`import: importing ${(size / 1e6).toFixed(0)} MB (${embedded ? 'embedded, a PGlite data folder' : 'PostgreSQL'}) in a child process …`);
    const run = await runCommand(['import-legacy', dump, '--report', reportFile], env);
    if (run.code !== 0) throw new Error(`import-legacy exited ${run.code}: ${run.stderr}`);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { models: Record<string, { imported: number }> };
    const imported = report.models['core.interactiondetail']?.imported ?? 0;
    if (imported !== opts.rows) throw new Error(`import-legacy imported ${imported} of ${opts.rows} rows: ${run.stderr}`);
    const measurements = opts.rows * READINGS_PER_ROW;
    const rate = measurements / (run.ms / 1000);
    opts.progress(`import: ${opts.rows.toLocaleString('en')} rows (${measurements.toLocaleString('en')} measurements) in ${(run.ms / 1000).toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB; bare COPY of the same measurements …`);
    const copyRate = await bareCopyRate(c, opts.rows);
    const where = embedded ? 'embedded' : 'PostgreSQL';
    return [
      // Target: the bar's fraction of the bare COPY measured now.
      result(`legacy import, ${where} (${opts.rows.toLocaleString('en')} InteractionDetail rows, whole command; target ${IMPORT_COPY_RATIO_TARGET}× COPY)`,
        rate, 'measurements/s', Math.round(IMPORT_COPY_RATIO_TARGET * copyRate), copyRate, 'higher'),
      result(`legacy import, ${where}: rows per second`, opts.rows / (run.ms / 1000), 'rows/s', null, null, 'higher'),
      result(`legacy import, ${where}: peak RSS of the import process`, run.peakRssMb, 'MB', IMPORT_RSS_TARGET_MB, null),
      result(`bare COPY of the resulting measurements (${where}${embedded ? ', in-memory PGlite' : ''})`, copyRate, 'rows/s', null, null, 'higher'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
