import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { extname } from 'node:path';
import type { Config } from '../config.js';
import { buildContainer } from '../container.js';
import { AppError } from '../errors.js';
import type { Principal } from '../auth/principal.js';
import { createLogger } from '../infra/logger.js';
import { startProcessor } from '../roles/processor.js';
import type { RunningRole } from '../roles/api.js';
import type { CsvImportResult, CsvReject } from '../telemetry/ingest/csv.import.js';
import { DEFAULT_CSV_TIMEZONE } from '../telemetry/ingest/csv.service.js';
import { waitUntilProcessed } from '../telemetry/ingest/drain.js';
import { EXIT, formatProgress, readLazily, startCommand, type CommandIo } from './command.js';

export { EXIT, formatProgress, type CommandIo } from './command.js';

export const IMPORT_CSV_USAGE = 'import-csv FILE --point ID [--timezone ZONE] [--report FILE.json|FILE.csv]';

/** The command acts for the operator at the console: staff rights, no tenant. */
const CONSOLE: Principal = { userId: 0, role: 'admin', clientId: null };

/** The rejects report, written as the rejects come: JSON ({file, point_id, rejects, totals}) or CSV (line,reason). */
class RejectReport {
  private first = true;
  private constructor(private readonly stream: WriteStream, private readonly csv: boolean) {}

  static async open(path: string, head: { file: string; point_id: number }): Promise<RejectReport> {
    const stream = createWriteStream(path);
    await once(stream, 'open');
    const report = new RejectReport(stream, extname(path).toLowerCase() === '.csv');
    await report.write(report.csv ? 'line,reason\n' : `{"file":${JSON.stringify(head.file)},"point_id":${head.point_id},"rejects":[`);
    return report;
  }

  async add(r: CsvReject): Promise<void> {
    if (this.csv) return this.write(`${r.line},"${r.reason.replace(/"/g, '""')}"\n`);
    await this.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(r)}`);
    this.first = false;
  }

  async close(result: CsvImportResult | undefined): Promise<void> {
    if (!this.csv) {
      const totals = result ? { lines: result.lines, accepted: result.accepted, rejected: result.rejected } : { incomplete: true };
      await this.write(`\n],"totals":${JSON.stringify(totals)}}\n`);
    }
    this.stream.end();
    await once(this.stream, 'finish');
  }

  private async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

/**
 * `smarthydro import-csv`: publishes the file's readings on the bus. With Kafka, the running
 * processor role stores them. Embedded (the in-process bus lives only in this process), the command
 * runs the processor itself and returns once the processor group has committed every message the
 * import published: the processor commits offsets only after its database transaction, so a lag of
 * 0 means every reading is stored or dead-lettered.
 */
export async function importCsvCommand(args: string[], deps: { config: Config; io?: CommandIo }): Promise<number> {
  const started = startCommand('import-csv', IMPORT_CSV_USAGE, args, {
    point: { type: 'string' }, timezone: { type: 'string' }, report: { type: 'string' }, every: { type: 'string' },
  }, deps.io);
  if (typeof started === 'number') return started;
  const { io, fail, parsed } = started;
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || positionals.length > 1) return fail(EXIT.usage, `give exactly one CSV file\nusage: smarthydro ${IMPORT_CSV_USAGE}`);
  const pointId = Number(values.point);
  if (!values.point || !Number.isSafeInteger(pointId) || pointId < 1) {
    return fail(EXIT.usage, `--point must be a point id (a positive integer)\nusage: smarthydro ${IMPORT_CSV_USAGE}`);
  }
  const every = values.every === undefined ? 100_000 : Number(values.every);
  if (!Number.isSafeInteger(every) || every < 1) return fail(EXIT.usage, '--every must be a positive integer (lines between progress lines)');
  const size = await stat(file).then((s) => (s.isFile() ? s.size : -1), () => null);
  if (size === null) return fail(EXIT.noInput, `${file}: no such file; check the path`);
  if (size < 0) return fail(EXIT.noInput, `${file}: not a regular file; give the path of the CSV itself`);

  const cfg = deps.config;
  const level = ['debug', 'trace'].includes(cfg.logLevel) ? cfg.logLevel : 'warn';
  const c = await buildContainer(cfg, { logger: createLogger(level) });
  let processor: RunningRole | undefined;
  let report: RejectReport | undefined;
  let result: CsvImportResult | undefined;
  try {
    if (values.report) {
      try {
        report = await RejectReport.open(values.report, { file, point_id: pointId });
      } catch (err) {
        return fail(EXIT.cannotCreate, `${values.report}: cannot write the report (${(err as Error).message}); choose a writable path`);
      }
    }
    // Embedded: nobody else consumes this process's bus, so the processor runs here.
    if (c.bus.kind === 'memory') processor = await startProcessor(c);

    const started = Date.now();
    let drawn = 0;
    const progress = (p: { lines: number; bytes: number }) => {
      const line = formatProgress({ ...p, totalBytes: size, elapsedMs: Date.now() - started });
      if (io.tty) {
        if (Date.now() - drawn < 100 && p.bytes < size) return;
        drawn = Date.now();
        io.err.write(`\r${line}`);
      } else {
        io.err.write(`${line}\n`);
      }
    };
    try {
      result = await c.csvImport.import(CONSOLE, pointId, readLazily(file), {
        timezone: values.timezone ?? DEFAULT_CSV_TIMEZONE,
        keepRejects: 20,
        onReject: report ? (r) => report!.add(r) : undefined,
        onProgress: progress,
        progressEvery: io.tty ? 1000 : every,
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'POINT_NOT_FOUND') {
        return fail(EXIT.data, `point ${pointId} does not exist; check --point (GET /api/v1/points lists them)`);
      }
      if (err instanceof AppError && err.status === 400) {
        const fix = err.details?.field === 'timezone'
          ? 'give --timezone an IANA zone such as America/Santiago or UTC'
          : 'the first line must be timestamp,variable,value (long) or timestamp,<variable>,<variable>,… (wide)';
        return fail(EXIT.data, `${file}: ${err.message}; ${fix}`);
      }
      throw err;
    }
    if (io.tty) io.err.write('\n');
    if (processor) {
      io.err.write('waiting for the processor to store the readings …\n');
      await waitUntilProcessed(c.bus, c.topics.processorGroup, [c.topics.raw]);
    }
    io.out.write(
      `${file}: ${result.lines} line(s), ${result.accepted} reading(s) accepted, ${result.rejected} rejected` +
        ` (${result.layout} layout, delimiter "${result.delimiter}")\n`,
    );
    for (const r of result.rejects) io.out.write(`  line ${r.line}: ${r.reason}\n`);
    if (result.rejected > result.rejects.length) {
      io.out.write(`  … ${result.rejected - result.rejects.length} more${report ? ` in ${values.report}` : '; --report FILE lists all of them'}\n`);
    }
    if (!processor) io.out.write('published on the bus; the processor role stores them (duplicates of stored readings are ignored)\n');
    return 0;
  } finally {
    await report?.close(result).catch(() => undefined);
    await processor?.stop();
    await c.close();
  }
}
