import { open, stat, writeFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import { buildContainer } from '../container.js';
import { createLogger } from '../infra/logger.js';
import { DumpFormatError, readDumpRows, type DumpRow } from '../legacy/dumpdata.reader.js';
import { summarize } from '../legacy/report.js';
import { EXIT, formatProgress, readLazily, startCommand, type CommandIo } from './command.js';

export const IMPORT_LEGACY_USAGE = 'import-legacy FILE… [--dry-run] [--report FILE.json]';

/** A dump file that could not be read, named for the operator. */
class UnreadableDump extends Error {
  constructor(readonly file: string, readonly reason: DumpFormatError) {
    super(`${file}: ${reason.message}`);
  }
}

/**
 * `smarthydro import-legacy`: the legacy Django system's `dumpdata` files, in any order. Exit 0 when
 * it ran (rejected rows are in the report); non-zero only when it could not, naming the file and the fix.
 */
export async function importLegacyCommand(args: string[], deps: { config: Config; io?: CommandIo }): Promise<number> {
  const begun = startCommand('import-legacy', IMPORT_LEGACY_USAGE, args, { 'dry-run': { type: 'boolean' }, report: { type: 'string' } }, deps.io);
  if (typeof begun === 'number') return begun;
  const { io, fail, parsed } = begun;
  const { values, positionals: files } = parsed;
  if (files.length === 0) return fail(EXIT.usage, `give at least one dumpdata JSON file\nusage: smarthydro ${IMPORT_LEGACY_USAGE}`);
  let totalBytes = 0;
  for (const file of files) {
    const size = await stat(file).then((s) => (s.isFile() ? s.size : -1), () => null);
    if (size === null) return fail(EXIT.noInput, `${file}: no such file; check the path`);
    if (size < 0) return fail(EXIT.noInput, `${file}: not a regular file; give the path of the dumpdata JSON itself`);
    totalBytes += size;
  }
  if (values.report) {
    try {
      await (await open(values.report, 'w')).close();
    } catch (err) {
      return fail(EXIT.cannotCreate, `${values.report}: cannot write the report (${(err as Error).message}); choose a writable path`);
    }
  }

  const started = Date.now();
  let bytes = 0;
  let rows = 0;
  let drawn = 0;
  const perModel = new Map<string, number>();
  // Not a terminal: a line when a model's run of rows ends — once per model, or again after 5 s when the
  // models interleave (a point, its DGA row, the next point …) — and at the end every count not yet shown.
  const shown = new Map<string, number>();
  let currentModel: string | undefined;
  let lastLine = 0;
  const showModel = (model: string) => {
    const n = perModel.get(model)!;
    shown.set(model, n);
    lastLine = Date.now();
    io.err.write(`${model}: ${n.toLocaleString('en-US')} row(s) read\n`);
  };
  const endOfReading = () => {
    if (io.tty) io.err.write('\n');
    else for (const [model, n] of perModel) if (shown.get(model) !== n) showModel(model);
    currentModel = undefined;
  };
  const onRow = (model: string) => {
    rows++;
    perModel.set(model, (perModel.get(model) ?? 0) + 1);
    if (io.tty) {
      if (Date.now() - drawn < 100) return;
      drawn = Date.now();
      io.err.write(`\r${formatProgress({ lines: rows, bytes, totalBytes, elapsedMs: Date.now() - started }, 24, 'rows')}`);
    } else if (model !== currentModel) {
      if (currentModel !== undefined && (!shown.has(currentModel) || Date.now() - lastLine >= 5000)) showModel(currentModel);
      currentModel = model;
    }
  };
  // Storing the measurement rows (after every file is read): a bar on a TTY, a line every few seconds otherwise.
  let storeStarted = 0;
  let storeLine = 0;
  const onStored = (done: number, total: number) => {
    storeStarted ||= Date.now();
    const elapsedMs = Date.now() - storeStarted;
    if (io.tty) {
      const rows = (n: number) => n.toLocaleString('en-US');
      io.err.write(`\rstoring ${formatProgress({ lines: done, bytes: done, totalBytes: total, elapsedMs }, 24, 'rows', rows)}`);
    } else if (done === total || Date.now() - storeLine >= 5000) {
      storeLine = Date.now();
      io.err.write(`stored ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} measurement row(s)\n`);
    }
  };
  async function* counted(file: string): AsyncGenerator<Buffer> {
    for await (const chunk of readLazily(file)) {
      bytes += chunk.length;
      yield chunk;
    }
  }
  async function* allRows(): AsyncGenerator<DumpRow> {
    for (const file of files) {
      try {
        yield* readDumpRows(counted(file));
      } catch (err) {
        if (err instanceof DumpFormatError) throw new UnreadableDump(file, err);
        throw err;
      }
    }
  }

  const cfg = deps.config;
  const level = ['debug', 'trace'].includes(cfg.logLevel) ? cfg.logLevel : 'warn';
  const c = await buildContainer(cfg, { logger: createLogger(level), lowMemory: true });
  try {
    let report;
    try {
      report = await c.legacyImport.run(allRows(), {
        files, dryRun: values['dry-run'] === true, onRow,
        onStored: (done, total) => {
          // Reading is over: close its progress first.
          if (storeStarted === 0) endOfReading();
          onStored(done, total);
        },
      });
    } catch (err) {
      if (err instanceof UnreadableDump) {
        return fail(EXIT.data, `${err.message}; give the output of "manage.py dumpdata" (a JSON array of {"model","pk","fields"}), complete and unedited`);
      }
      throw err;
    }
    if (storeStarted === 0) endOfReading();
    else if (io.tty) io.err.write('\n');
    io.out.write(summarize(report));
    if (values.report) {
      await writeFile(values.report, `${JSON.stringify(report, null, 2)}\n`);
      io.out.write(`report: ${values.report}\n`);
    } else if (report.corrections.length > 0 || Object.values(report.models).some((m) => m.rejected > 0)) {
      io.out.write('--report FILE lists every reject and correction\n');
    }
    return 0;
  } finally {
    await c.close();
  }
}
