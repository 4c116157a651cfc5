import type { Db } from '../infra/db/index.js';
import type { SecretBox } from '../infra/secrets.js';
import type { RegistryEvents } from '../registry/events.js';
import type { DumpRow } from './dumpdata.reader.js';
import { LegacyRepository } from './legacy.repository.js';
import { REGISTRY_MODELS, RegistryImport } from './registry.import.js';
import { ReportBuilder, type ImportReport } from './report.js';
import { MEASUREMENT_FIELDS, MEASUREMENT_ORDER, MeasurementImport, type MeasurementImportDeps } from './measurements.import.js';
import { RowSpool } from './spool.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS } from '../lib/time.js';

export interface LegacyImportOptions {
  files: string[];
  dryRun: boolean;
  /** Called for every row read, with its model (progress). */
  onRow?: (model: string) => void;
  /** Called as measurement rows are stored, with how many of how many are done (progress). */
  onStored?: (done: number, total: number) => void;
  /** Readings per stored batch (tests make it small). */
  batchReadings?: number;
}

class DryRunRollback extends Error {}

/** Instants a legacy reading may have: within the retention window, and not more than a day ahead. */
function readingWindow(now: Date, retentionDays: number): { from: Date; to: Date } {
  return { from: new Date(now.getTime() - retentionDays * DAY_MS), to: new Date(now.getTime() + DAY_MS) };
}

export interface LegacyImportDeps {
  db: Db;
  secrets: SecretBox;
  events: RegistryEvents;
  /** The zone of DGA slots (config.reportTimezone). */
  reportTimezone: string;
  /** Readings older than this many days are refused, as the processor refuses them (RETENTION_DAYS). */
  retentionDays: number;
  clock: Clock;
  rebuildRollups: MeasurementImportDeps['rebuildRollups'];
}

/**
 * `import-legacy`: reads the dump rows of every file, then applies them parent first in one transaction
 * (all or nothing; a dry run rolls it back, so it reports exactly what a real run would). The registry
 * is small and may arrive in any order across files, so its rows are held in memory until all are read;
 * measurement rows wait on disk (RowSpool) and are then stored in batches, InteractionDetail first.
 */
export class LegacyImportService {
  constructor(private readonly deps: LegacyImportDeps) {}

  async run(rows: AsyncIterable<DumpRow>, opts: LegacyImportOptions): Promise<ImportReport> {
    const report = new ReportBuilder(opts.files, opts.dryRun);
    const registry = new Map<string, DumpRow[]>(REGISTRY_MODELS.map((m) => [m, []]));
    const spool = await RowSpool.create(MEASUREMENT_FIELDS);
    try {
      for await (const row of rows) {
        opts.onRow?.(row.model);
        const bucket = registry.get(row.model);
        if (bucket) bucket.push(row);
        else if (spool.holds(row.model)) await spool.write(row);
        else report.notImported(row.model);
      }
      await spool.end();
      const total = MEASUREMENT_ORDER.reduce((n, m) => n + spool.rows(m), 0);
      await this.deps.db.transaction(async (tx) => {
        const legacy = new LegacyRepository(tx);
        const importer = new RegistryImport(legacy, this.deps.secrets, report);
        for (const model of REGISTRY_MODELS) {
          for (const row of registry.get(model)!) await importer.apply(row);
        }
        await importer.finish();
        registry.clear();
        const measurements = new MeasurementImport({
          tx, legacy, registry: importer, report, reportTimezone: this.deps.reportTimezone,
          window: readingWindow(this.deps.clock.now(), this.deps.retentionDays),
          rebuildRollups: this.deps.rebuildRollups, batchReadings: opts.batchReadings,
          onApplied: (done) => opts.onStored?.(done, total),
        });
        for (const model of MEASUREMENT_ORDER) {
          for await (const row of spool.read(model)) await measurements.add(row);
        }
        await measurements.finish();
        if (opts.dryRun) throw new DryRunRollback();
      });
      // Active-point lists and point configs cached by running roles must see the imported points.
      await this.deps.events.registryChanged();
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    } finally {
      await spool.remove();
    }
    return report.report;
  }
}
