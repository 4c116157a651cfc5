import { escapeCopyText, type Queryable } from '../infra/db/index.js';
import type { DgaStandard } from '../dga/types.js';
import type { LegacyQualityFlag } from './readings.js';

/** One legacy reading bound for `measurements`; `seq` identifies it within its batch. */
export interface StagedReading {
  seq: number;
  point_id: number;
  variable: string;
  ts: Date;
  value: number;
  flag: LegacyQualityFlag;
}

/** A reading of the batch that was not stored, and the value already stored at its (point, variable, ts). */
export interface NotInserted {
  seq: number;
  existing: number | null;
}

/** A legacy DGA receipt (n_voucher) for one slot, and the label the legacy system filed it under. */
export interface LegacyReceipt {
  point_id: number;
  slot_at: Date;
  standard: DgaStandard;
  receipt: string;
  answer: string | null;
  measured_at: Date;
  legacy_pk: string;
  codigo_obra: string | null;
  fecha: string;
  hora: string;
}

/** Imported readings are as good as the legacy system's; its error-flagged rows are kept but marked down. */
const QUALITY: Record<LegacyQualityFlag, number> = { legacy_import: 1, legacy_error: 0.5 };
const COLUMNS = ['point_id', 'variable', 'ts', 'value_numeric', 'quality_score', 'quality_flags', 'provider'];
const STAGE_COLUMNS = ['seq', 'point_id', 'variable', 'ts', 'value', 'flag'];

/** SQL of the legacy measurement import, on the import's transaction. */
export class LegacyMeasurementRepository {
  private readonly months = new Set<string>();
  private staged = false;

  constructor(private readonly tx: Queryable) {}

  /** Creates the monthly partitions of the readings on this transaction (another connection would wait on it). */
  async ensurePartitions(rows: readonly StagedReading[]): Promise<void> {
    for (const r of rows) {
      const key = `${r.ts.getUTCFullYear()}-${r.ts.getUTCMonth()}`;
      if (this.months.has(key)) continue;
      await this.tx.query('SELECT sh_ensure_measurement_partition($1)', [r.ts]);
      this.months.add(key);
    }
  }

  /**
   * Stores the readings (unique (point, variable, ts) within the call) that are not stored yet, and
   * returns those that were, with the value found. Where COPY is the fast path the batch is first COPYed
   * straight into `measurements` (a first import: nothing there yet); a unique violation falls back to a
   * staging table and INSERT … ON CONFLICT DO NOTHING, which tells which readings were already stored.
   */
  async insert(rows: readonly StagedReading[]): Promise<NotInserted[]> {
    if (rows.length === 0) return [];
    await this.ensurePartitions(rows);
    if (this.tx.bulkLoad === 'copy') {
      await this.tx.exec('SAVEPOINT legacy_copy');
      try {
        await this.tx.copyFrom('measurements', COLUMNS, measurementLines(rows));
        await this.tx.exec('RELEASE SAVEPOINT legacy_copy');
        return [];
      } catch (err) {
        await this.tx.exec('ROLLBACK TO SAVEPOINT legacy_copy');
        if ((err as { code?: string }).code !== '23505') throw err;
      }
    }
    if (!this.staged) {
      await this.tx.exec(
        `CREATE TEMP TABLE IF NOT EXISTS legacy_stage (seq integer, point_id bigint, variable text, ts timestamptz, value float8, flag text)
         ON COMMIT DROP`,
      );
      this.staged = true;
    }
    await this.tx.exec('TRUNCATE legacy_stage');
    await this.tx.copyFrom('legacy_stage', STAGE_COLUMNS, stageLines(rows));
    // The outer SELECT sees `measurements` as it was before the INSERT: `existing` is the earlier value.
    const { rows: notInserted } = await this.tx.query<NotInserted>(
      `WITH ins AS (
         INSERT INTO measurements (point_id, variable, ts, value_numeric, quality_score, quality_flags, provider)
         SELECT point_id, variable, ts, value, CASE flag WHEN 'legacy_error' THEN ${QUALITY.legacy_error} ELSE ${QUALITY.legacy_import} END,
                ARRAY[flag], 'legacy'
         FROM legacy_stage
         ON CONFLICT (point_id, variable, ts) DO NOTHING
         RETURNING point_id, variable, ts)
       SELECT s.seq, coalesce(m.corrected_value, m.value_numeric) AS existing
       FROM legacy_stage s
       LEFT JOIN measurements m ON m.point_id = s.point_id AND m.variable = s.variable AND m.ts = s.ts
       WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.point_id = s.point_id AND ins.variable = s.variable AND ins.ts = s.ts)`,
    );
    return notInserted.map((r) => ({ seq: Number(r.seq), existing: r.existing === null ? null : Number(r.existing) }));
  }

  /**
   * Stores legacy receipts as `sent` submissions of their slots (a slot already receipted keeps its
   * receipt; a queued one takes the legacy receipt) and their labels. Returns the legacy pks whose
   * receipt was new.
   */
  async receipts(rows: readonly LegacyReceipt[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const payload = JSON.stringify(rows.map((r) => ({
      p: r.point_id, s: r.slot_at.toISOString(), st: r.standard, rc: r.receipt, a: r.answer, at: r.measured_at.toISOString(),
      pk: r.legacy_pk, c: r.codigo_obra, f: r.fecha, h: r.hora,
    })));
    const { rows: stored } = await this.tx.query<{ pk: string }>(
      `WITH v AS (
         SELECT * FROM json_to_recordset($1::json)
           AS j(p bigint, s timestamptz, st text, rc text, a text, at timestamptz, pk text, c text, h text, f text)),
       up AS (
         INSERT INTO dga_submissions AS d (point_id, slot_at, standard, status, receipt, last_response, sent_at, next_attempt_at, reading)
         SELECT p, s, st, 'sent', rc, a, at, NULL, jsonb_build_object('source', 'legacy_import', 'legacy_pk', pk, 'measured_at', at)
         FROM v
         ON CONFLICT (point_id, slot_at) DO UPDATE SET
           status = 'sent', receipt = EXCLUDED.receipt, last_response = EXCLUDED.last_response, sent_at = EXCLUDED.sent_at,
           next_attempt_at = NULL, lease_until = NULL, lease_token = NULL, error_code = NULL, error_message = NULL,
           reading = EXCLUDED.reading, updated_at = now()
         WHERE d.receipt IS NULL
         RETURNING id, point_id, slot_at),
       labels AS (
         INSERT INTO dga_receipted_labels (codigo_obra, fecha_medicion, hora_medicion, receipt, submission_id, source)
         SELECT v.c, v.f, v.h, v.rc, up.id, 'legacy_import'
         FROM v LEFT JOIN up ON up.point_id = v.p AND up.slot_at = v.s
         WHERE v.c IS NOT NULL
         ON CONFLICT DO NOTHING)
       SELECT v.pk FROM v JOIN up ON up.point_id = v.p AND up.slot_at = v.s`,
      [payload],
    );
    return new Set(stored.map((r) => String(r.pk)));
  }

  /** Latest values of the points from their stored readings (once, after the import). */
  async rebuildLatest(pointIds: readonly number[]): Promise<void> {
    if (pointIds.length === 0) return;
    await this.tx.query(
      `INSERT INTO latest_values AS l (point_id, variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags)
       SELECT DISTINCT ON (point_id, variable) point_id, variable, ts, coalesce(corrected_value, value_numeric), value_text,
              value_boolean, quality_score, quality_flags
       FROM measurements
       WHERE point_id = ANY($1::bigint[]) AND NOT is_invalid
       ORDER BY point_id, variable, ts DESC
       ON CONFLICT (point_id, variable) DO UPDATE SET
         ts = EXCLUDED.ts, value_numeric = EXCLUDED.value_numeric, value_text = EXCLUDED.value_text,
         value_boolean = EXCLUDED.value_boolean, quality_score = EXCLUDED.quality_score, quality_flags = EXCLUDED.quality_flags
       WHERE EXCLUDED.ts >= l.ts`,
      [pointIds],
    );
  }
}

function* measurementLines(rows: readonly StagedReading[]): Generator<string> {
  for (const r of rows) {
    yield `${r.point_id}\t${escapeCopyText(r.variable)}\t${r.ts.toISOString()}\t${r.value}\t${QUALITY[r.flag]}\t{${r.flag}}\tlegacy\n`;
  }
}

function* stageLines(rows: readonly StagedReading[]): Generator<string> {
  for (const r of rows) yield `${r.seq}\t${r.point_id}\t${escapeCopyText(r.variable)}\t${r.ts.toISOString()}\t${r.value}\t${r.flag}\n`;
}
