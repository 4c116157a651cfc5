import type { Db } from '../infra/db/index.js';
import type { SecretBox } from '../infra/secrets.js';
import type { RegistryEvents } from '../registry/events.js';
import type { DumpRow } from './dumpdata.reader.js';
import { LegacyRepository } from './legacy.repository.js';
import { REGISTRY_MODELS, RegistryImport } from './registry.import.js';
import { ReportBuilder, type ImportReport } from './report.js';

export interface LegacyImportOptions {
  files: string[];
  dryRun: boolean;
  /** Called for every row read, with its model (progress). */
  onRow?: (model: string) => void;
}

class DryRunRollback extends Error {}

/**
 * `import-legacy`: reads the dump rows of every file, then applies the registry parent first in one
 * transaction. The registry is small (hundreds of rows) and may arrive in any order across files, so
 * its rows are held until all are read; measurement models are only counted here. A dry run does the
 * same work and rolls it back, so it reports exactly what a real run would.
 */
export class LegacyImportService {
  constructor(private readonly deps: { db: Db; secrets: SecretBox; events: RegistryEvents }) {}

  async run(rows: AsyncIterable<DumpRow>, opts: LegacyImportOptions): Promise<ImportReport> {
    const report = new ReportBuilder(opts.files, opts.dryRun);
    const registry = new Map<string, DumpRow[]>(REGISTRY_MODELS.map((m) => [m, []]));
    for await (const row of rows) {
      opts.onRow?.(row.model);
      const bucket = registry.get(row.model);
      if (bucket) bucket.push(row);
      else report.notImported(row.model);
    }
    try {
      await this.deps.db.transaction(async (tx) => {
        const importer = new RegistryImport(new LegacyRepository(tx), this.deps.secrets, report);
        for (const model of REGISTRY_MODELS) {
          for (const row of registry.get(model)!) await importer.apply(row);
        }
        if (opts.dryRun) throw new DryRunRollback();
      });
      // Active-point lists and point configs cached by running roles must see the imported points.
      await this.deps.events.registryChanged();
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    }
    return report.report;
  }
}
