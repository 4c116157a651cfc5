/** The import's account: per model, every row read lands in exactly one of imported, duplicates, conflicts, rejected. */

export interface Reject {
  pk: number | string;
  reason: string;
}

export interface ModelCounts {
  read: number;
  imported: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  rejects: Reject[];
}

export interface Correction {
  model: string;
  pk: number | string;
  field: string;
  from: unknown;
  to: unknown;
  reason: string;
}

export interface ImportReport {
  dry_run: boolean;
  files: string[];
  models: Record<string, ModelCounts>;
  corrections: Correction[];
  naive_timestamps: number;
  /** Models present in the files that this version does not import yet, with their row counts. */
  not_imported: Record<string, number>;
}

export type Outcome = 'imported' | 'duplicates' | 'conflicts';

export class ReportBuilder {
  readonly report: ImportReport;

  constructor(files: string[], dryRun: boolean) {
    this.report = { dry_run: dryRun, files, models: {}, corrections: [], naive_timestamps: 0, not_imported: {} };
  }

  private model(model: string): ModelCounts {
    return (this.report.models[model] ??= { read: 0, imported: 0, duplicates: 0, conflicts: 0, rejected: 0, rejects: [] });
  }

  count(model: string, outcome: Outcome): void {
    const m = this.model(model);
    m.read++;
    m[outcome]++;
  }

  reject(model: string, pk: number | string, reason: string): void {
    const m = this.model(model);
    m.read++;
    m.rejected++;
    m.rejects.push({ pk, reason });
  }

  correct(c: Correction): void {
    this.report.corrections.push(c);
  }

  notImported(model: string): void {
    this.report.not_imported[model] = (this.report.not_imported[model] ?? 0) + 1;
  }
}

/** The stdout summary: a line per model, then the corrections count. */
export function summarize(r: ImportReport): string {
  const lines = Object.entries(r.models).map(
    ([model, m]) =>
      `${model}: ${m.read} read, ${m.imported} imported, ${m.duplicates} duplicate(s), ${m.conflicts} conflict(s), ${m.rejected} rejected`,
  );
  for (const [model, n] of Object.entries(r.not_imported)) lines.push(`${model}: ${n} read, not imported by this version`);
  lines.push(`${r.corrections.length} correction(s), ${r.naive_timestamps} naive timestamp(s) read as America/Santiago`);
  if (r.dry_run) lines.push('dry run: nothing was written');
  return `${lines.join('\n')}\n`;
}
