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
  /** Rejects beyond the MAX_LISTED listed. */
  rejects_not_listed?: number;
}

export interface Correction {
  model: string;
  pk: number | string;
  field: string;
  from: unknown;
  to: unknown;
  reason: string;
}

/** Legacy DGA receipts (InteractionDetail `n_voucher`): new ones became `sent` submissions of their slots. */
export interface ReceiptCounts {
  read: number;
  imported: number;
  /** The slot already had a receipt (a re-run, or the reporter's). */
  duplicates: number;
  /** Not kept: the row was rejected, or its point has no DGA standard to place the slot by (a correction says which). */
  skipped: number;
}

/** Detail lists keep at most this many entries; the rest are counted (the counts stay exact). */
export const MAX_LISTED = 10_000;

export interface ImportReport {
  dry_run: boolean;
  files: string[];
  models: Record<string, ModelCounts>;
  corrections: Correction[];
  /** Corrections made beyond the MAX_LISTED listed. */
  corrections_not_listed: number;
  naive_timestamps: number;
  dga_receipts: ReceiptCounts;
  /** Models present in the files that this version does not import yet, with their row counts. */
  not_imported: Record<string, number>;
}

export type Outcome = 'imported' | 'duplicates' | 'conflicts';

export class ReportBuilder {
  readonly report: ImportReport;

  constructor(files: string[], dryRun: boolean) {
    this.report = {
      dry_run: dryRun, files, models: {}, corrections: [], corrections_not_listed: 0, naive_timestamps: 0,
      dga_receipts: { read: 0, imported: 0, duplicates: 0, skipped: 0 }, not_imported: {},
    };
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
    if (m.rejects.length < MAX_LISTED) m.rejects.push({ pk, reason });
    else m.rejects_not_listed = (m.rejects_not_listed ?? 0) + 1;
  }

  correct(c: Correction): void {
    if (this.report.corrections.length < MAX_LISTED) this.report.corrections.push(c);
    else this.report.corrections_not_listed++;
  }

  naive(): void {
    this.report.naive_timestamps++;
  }

  receipt(outcome: keyof Omit<ReceiptCounts, 'read'>): void {
    this.report.dga_receipts.read++;
    this.report.dga_receipts[outcome]++;
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
  const d = r.dga_receipts;
  if (d.read > 0) lines.push(`DGA receipts (n_voucher): ${d.read} read, ${d.imported} imported, ${d.duplicates} duplicate(s), ${d.skipped} skipped`);
  lines.push(`${r.corrections.length + r.corrections_not_listed} correction(s), ${r.naive_timestamps} naive timestamp(s) read as America/Santiago`);
  if (r.dry_run) lines.push('dry run: nothing was written');
  return `${lines.join('\n')}\n`;
}
