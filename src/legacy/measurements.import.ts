/**
 * Legacy readings (InteractionDetail, TimeSeriesData) into `measurements`, in batches through the
 * database's bulk path, after the registry they refer to. Every row ends in the report as imported,
 * duplicate, conflict or rejected with a reason; InteractionDetail receipts (n_voucher) become `sent`
 * DGA submissions of their slots.
 *
 * Both tables: InteractionDetail rows are imported first, so a TimeSeriesData reading of the same
 * (point, variable, instant) finds the InteractionDetail one stored — equal within SAME_READING_TOLERANCE
 * → duplicate, different → conflict (the InteractionDetail value is kept). A re-run finds every reading
 * stored and counts it the same way.
 */
import { slotStart } from '../dga/slots.js';
import { dgaLabel } from '../dga/payload.js';
import type { DgaStandard } from '../dga/types.js';
import type { Queryable } from '../infra/db/index.js';
import type { DumpRow } from './dumpdata.reader.js';
import { LegacyMeasurementRepository, type LegacyReceipt, type StagedReading } from './legacy-measurement.repository.js';
import type { LegacyRepository } from './legacy.repository.js';
import { interactionReadings, reconcile, timeSeriesValue, type LegacyReadings, type LegacyVariable } from './readings.js';
import { M, type RegistryImport } from './registry.import.js';
import type { Outcome, ReportBuilder } from './report.js';
import { LEGACY_TIMEZONE, legacyTimestamp } from './rules.js';

export const MEASUREMENT_MODEL = {
  interaction: 'core.interactiondetail',
  series: 'datastore.timeseriesdata',
} as const;

/** The fields each measurement model is read for (the rest is not kept while rows wait for the registry). */
export const MEASUREMENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  [MEASUREMENT_MODEL.interaction]: ['catchment_point', 'date_time_medition', 'flow', 'total', 'nivel', 'is_error', 'n_voucher', 'return_dga'],
  [MEASUREMENT_MODEL.series]: ['variable', 'timestamp', 'value'],
};

/** Imported in this order: InteractionDetail wins over TimeSeriesData. */
export const MEASUREMENT_ORDER: readonly string[] = [MEASUREMENT_MODEL.interaction, MEASUREMENT_MODEL.series];

export const DEFAULT_BATCH_READINGS = 20_000;

type PointTarget = { pointId: number; standard: DgaStandard | null; code: string | null } | { reason: string };
type VariableTarget = { pointId: number; variable: LegacyVariable } | { reason: string };
type ReadingStatus = 'new' | Exclude<Outcome, 'imported'>;

interface BatchRow {
  model: string;
  pk: DumpRow['pk'];
  /** Indexes into the batch's statuses. */
  readings: number[];
  receipt?: LegacyReceipt;
}

export interface MeasurementImportDeps {
  tx: Queryable;
  legacy: LegacyRepository;
  registry: RegistryImport;
  report: ReportBuilder;
  /** The zone of DGA slots (DGA_TIMEZONE): a legacy receipt belongs to the slot holding its reading there. */
  reportTimezone: string;
  /** Readings outside it are rejected: older than the retention (RETENTION_DAYS) or in the future. */
  window: { from: Date; to: Date };
  /** Recomputes the rollups of the range for the points, on the import's transaction. */
  rebuildRollups: (tx: Queryable, range: { from: Date; to: Date; pointIds: number[] }) => Promise<unknown>;
  batchReadings?: number;
  /** Called after each stored batch with the rows applied so far. */
  onApplied?: (rows: number) => void;
}

const text = (v: unknown): string | null => {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const t = String(v).replace(/\0/g, '').trim();
  return t === '' || t.toLowerCase() === 'null' ? null : t;
};

export class MeasurementImport {
  private readonly repo: LegacyMeasurementRepository;
  private readonly batchReadings: number;
  private readonly points = new Map<string, PointTarget>();
  private readonly variables = new Map<string, VariableTarget>();
  // The batch: staged readings (unique per key), the status of every reading read, and its rows.
  private staged: StagedReading[] = [];
  private statuses: ReadingStatus[] = [];
  private values: number[] = [];
  private byKey = new Map<string, StagedReading>();
  private rows: BatchRow[] = [];
  private receiptSlots = new Set<string>();
  // What the end-of-import rebuild covers.
  private readonly touched = new Set<number>();
  private from = Infinity;
  private to = -Infinity;
  private applied = 0;

  constructor(private readonly deps: MeasurementImportDeps) {
    this.repo = new LegacyMeasurementRepository(deps.tx);
    this.batchReadings = deps.batchReadings ?? DEFAULT_BATCH_READINGS;
  }

  async add(row: DumpRow): Promise<void> {
    if (row.model === MEASUREMENT_MODEL.interaction) await this.interaction(row);
    else if (row.model === MEASUREMENT_MODEL.series) await this.series(row);
    else throw new RangeError(`not a measurement model: ${row.model}`);
    if (this.staged.length >= this.batchReadings) await this.flush();
  }

  /** Stores what is left, then rebuilds rollups and latest values of the imported range once. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.touched.size === 0) return;
    const pointIds = [...this.touched].sort((a, b) => a - b);
    await this.deps.rebuildRollups(this.deps.tx, { from: new Date(this.from), to: new Date(this.to + 1), pointIds });
    await this.repo.rebuildLatest(pointIds);
  }

  private async interaction(row: DumpRow): Promise<void> {
    const f = row.fields;
    const point = await this.point(f['catchment_point']);
    const voucher = text(f['n_voucher']);
    if ('reason' in point) {
      if (voucher) this.deps.report.receipt('skipped');
      return this.deps.report.reject(row.model, row.pk, point.reason);
    }
    const parsed = interactionReadings(f);
    if (!parsed.ok) {
      if (voucher) this.deps.report.receipt('skipped');
      return this.deps.report.reject(row.model, row.pk, parsed.reason);
    }
    const r = parsed.value;
    const outside = this.outsideWindow(r.at);
    if (outside) {
      if (voucher) this.deps.report.receipt('skipped');
      return this.deps.report.reject(row.model, row.pk, outside);
    }
    this.noteRead(row, r);
    const batchRow: BatchRow = { model: row.model, pk: row.pk, readings: r.readings.map((x) => this.stage(point.pointId, x.variable, r.at, x.value, r.flag)) };
    if (voucher) batchRow.receipt = this.receiptOf(row, point, r.at, voucher);
    this.rows.push(batchRow);
  }

  private async series(row: DumpRow): Promise<void> {
    const f = row.fields;
    const target = await this.variable(f['variable']);
    if ('reason' in target) return this.deps.report.reject(row.model, row.pk, target.reason);
    const t = legacyTimestamp(f['timestamp']);
    if (!t) return this.deps.report.reject(row.model, row.pk, `no usable timestamp (timestamp ${JSON.stringify(f['timestamp'] ?? null)})`);
    const outside = this.outsideWindow(t.at);
    if (outside) return this.deps.report.reject(row.model, row.pk, outside);
    const value = timeSeriesValue(f['value']);
    if (value === null) return this.deps.report.reject(row.model, row.pk, `no usable value (value ${JSON.stringify(f['value'] ?? null)})`);
    if (t.naive) this.deps.report.naive();
    this.rows.push({ model: row.model, pk: row.pk, readings: [this.stage(target.pointId, target.variable, t.at, value, 'legacy_import')] });
  }

  private outsideWindow(at: Date): string | null {
    const { from, to } = this.deps.window;
    if (at < from) return `${at.toISOString()} is older than the retention (RETENTION_DAYS: readings from ${from.toISOString().slice(0, 10)} on)`;
    if (at > to) return `${at.toISOString()} is in the future`;
    return null;
  }

  private noteRead(row: DumpRow, r: LegacyReadings): void {
    if (r.naive) this.deps.report.naive();
    for (const d of r.dropped) this.deps.report.correct({ model: row.model, pk: row.pk, field: d.field, from: d.from, to: null, reason: d.reason });
  }

  /** Stages one reading; a second reading of a key staged in this batch is settled against the first. */
  private stage(pointId: number, variable: string, at: Date, value: number, flag: StagedReading['flag']): number {
    const seq = this.statuses.length;
    this.values.push(value);
    const key = `${pointId}\u0000${variable}\u0000${at.getTime()}`;
    const first = this.byKey.get(key);
    if (first) {
      this.statuses.push(reconcile(first.value, value));
      return seq;
    }
    const reading: StagedReading = { seq, point_id: pointId, variable, ts: at, value, flag };
    this.byKey.set(key, reading);
    this.staged.push(reading);
    this.statuses.push('new');
    return seq;
  }

  /** The legacy receipt as the sent submission of the slot holding the reading, labelled as the legacy system labelled it. */
  private receiptOf(row: DumpRow, point: Exclude<PointTarget, { reason: string }>, at: Date, voucher: string): LegacyReceipt | undefined {
    if (!point.standard) {
      this.deps.report.receipt('skipped');
      this.deps.report.correct({ model: row.model, pk: row.pk, field: 'n_voucher', from: voucher, to: null, reason: 'the point has no DGA standard: receipt not kept' });
      return undefined;
    }
    const tz = this.deps.reportTimezone;
    const slot = slotStart(point.standard, at, tz);
    const key = `${point.pointId}\u0000${slot.getTime()}`;
    if (this.receiptSlots.has(key)) {
      this.deps.report.receipt('duplicates');
      return undefined;
    }
    this.receiptSlots.add(key);
    const label = dgaLabel(slotStart(point.standard, at, LEGACY_TIMEZONE), LEGACY_TIMEZONE);
    const answer = this.answerText(row.fields['return_dga']);
    return {
      point_id: point.pointId, slot_at: slot, standard: point.standard, receipt: voucher, answer, measured_at: at,
      legacy_pk: String(row.pk), codigo_obra: point.code, fecha: label.fechaMedicion, hora: label.horaMedicion,
    };
  }

  private answerText(v: unknown): string | null {
    if (v === null || v === undefined) return null;
    return (typeof v === 'string' ? v : JSON.stringify(v)).replace(/\0/g, '');
  }

  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    for (const r of await this.repo.insert(this.staged)) {
      this.statuses[r.seq] = r.existing === null ? 'conflicts' : reconcile(r.existing, this.values[r.seq]!);
    }
    for (const s of this.staged) {
      if (this.statuses[s.seq] !== 'new') continue;
      this.touched.add(s.point_id);
      const t = s.ts.getTime();
      if (t < this.from) this.from = t;
      if (t > this.to) this.to = t;
    }
    const receipts = this.rows.flatMap((r) => (r.receipt ? [r.receipt] : []));
    const newReceipts = await this.repo.receipts(receipts);
    for (const r of receipts) this.deps.report.receipt(newReceipts.has(r.legacy_pk) ? 'imported' : 'duplicates');
    for (const row of this.rows) this.deps.report.count(row.model, this.outcome(row));
    this.applied += this.rows.length;
    this.deps.onApplied?.(this.applied);
    this.staged = [];
    this.statuses = [];
    this.values = [];
    this.byKey = new Map();
    this.rows = [];
    this.receiptSlots = new Set();
  }

  /** A row is imported when any of its readings was stored now; else a conflict when any differed; else a duplicate. */
  private outcome(row: BatchRow): Outcome {
    const s = row.readings.map((i) => this.statuses[i]);
    if (s.includes('new')) return 'imported';
    return s.includes('conflicts') ? 'conflicts' : 'duplicates';
  }

  private async point(ref: unknown): Promise<PointTarget> {
    const key = String(ref);
    let target = this.points.get(key);
    if (!target) {
      const p = await this.deps.registry.resolve(M.point, ref);
      if ('reason' in p) target = p;
      else {
        const dga = await this.deps.legacy.pointDga(p.id);
        target = dga ? { pointId: p.id, standard: dga.standard, code: dga.code } : { reason: `point ${key} no longer exists` };
      }
      this.points.set(key, target);
    }
    return target;
  }

  private async variable(ref: unknown): Promise<VariableTarget> {
    const key = String(ref);
    let target = this.variables.get(key);
    if (!target) {
      target = await this.resolveVariable(ref);
      this.variables.set(key, target);
    }
    return target;
  }

  private async resolveVariable(ref: unknown): Promise<VariableTarget> {
    const v = await this.deps.registry.resolve(M.variable, ref);
    if ('reason' in v) {
      return { reason: v.reason.startsWith('parent ') || v.reason.includes('not found') ? v.reason : `parent variable ${String(ref)} rejected` };
    }
    const scheme = typeof v.detail?.['scheme'] === 'string' ? v.detail['scheme'] : null;
    const variable = v.detail?.['variable'] as LegacyVariable | undefined;
    if (!scheme || !variable) return { reason: `variable ${String(ref)} was imported without its scheme; import its core.variable row again` };
    const points = await this.deps.legacy.schemePoints(scheme);
    if (points.length !== 1) {
      return { reason: `variable ${String(ref)} belongs to scheme ${scheme}, which serves ${points.length} points: the point of its readings is ambiguous` };
    }
    return { pointId: points[0]!, variable };
  }
}
