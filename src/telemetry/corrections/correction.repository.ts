import type { Db, Queryable } from '../../infra/db/index.js';
import type { CorrectionAction } from './correction.rules.js';

/** The effective value of a reading in SQL (see `effectiveValue` in correction.rules.ts). */
export const EFFECTIVE_VALUE = (alias = '') =>
  `CASE WHEN ${alias}is_invalid THEN NULL ELSE coalesce(${alias}corrected_value, ${alias}value_numeric) END`;

/** At most this many readings' values are kept as the before/after sample of a correction. */
export const AUDIT_SAMPLE = 100;

export interface AuditSample {
  ts: string;
  value: number | null;
}

export interface CorrectionRow {
  id: number;
  point_id: number;
  variable: string;
  ts_from: Date;
  ts_to: Date;
  action: CorrectionAction;
  value: number | null;
  reverts_id: number | null;
  reason: string;
  user_id: number | null;
  user_email: string | null;
  readings: number;
  before: AuditSample[];
  after: AuditSample[];
  created_at: Date;
  /** Id of the correction that reverted this one, if any. */
  reverted_by: number | null;
}

export interface NewCorrection {
  point_id: number;
  variable: string;
  from: Date;
  to: Date;
  action: CorrectionAction;
  value: number | null;
  reverts_id: number | null;
  reason: string;
  user_id: number;
}

const RANGE = 'point_id = $1 AND variable = $2 AND ts >= $3 AND ts <= $4';
const ROW_COLUMNS = `c.id, c.point_id, c.variable, c.ts_from, c.ts_to, c.action, c.value, c.reverts_id, c.reason, c.user_id,
  u.email AS user_email, c.readings, c.before, c.after, c.created_at,
  (SELECT r.id FROM measurement_corrections r WHERE r.reverts_id = c.id) AS reverted_by`;

/** SQL of corrections: the append-only audit table and the corrected state beside each measurement. */
export class CorrectionRepository {
  constructor(private readonly db: Db) {}

  /** Effective values of the first readings of the range (the audit sample). */
  async sample(tx: Queryable, pointId: number, variable: string, from: Date, to: Date): Promise<AuditSample[]> {
    const { rows } = await tx.query<AuditSample>(
      `SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, ${EFFECTIVE_VALUE()} AS value
       FROM measurements WHERE ${RANGE} ORDER BY ts LIMIT ${AUDIT_SAMPLE}`,
      [pointId, variable, from, to],
    );
    return rows;
  }

  /** Sets the corrected state of every reading of the range; returns how many there were. */
  async mark(tx: Queryable, pointId: number, variable: string, from: Date, to: Date, value: number | null, invalid: boolean): Promise<number> {
    const { rowCount } = await tx.query(
      `UPDATE measurements SET corrected_value = $5, is_invalid = $6 WHERE ${RANGE}`,
      [pointId, variable, from, to, value, invalid],
    );
    return rowCount;
  }

  /**
   * Recomputes the corrected state of every reading of the range from the corrections still in force
   * (not reverted, leaving out `excludeId`): the newest covering one wins, none leaves the recorded
   * value (`correctedState` in correction.rules.ts). Returns how many readings the range holds.
   */
  async recompute(tx: Queryable, pointId: number, variable: string, from: Date, to: Date, excludeId: number): Promise<number> {
    const { rowCount } = await tx.query(
      `UPDATE measurements m
       SET corrected_value = CASE WHEN w.action = 'set_value' THEN w.value END,
           is_invalid = coalesce(w.action = 'invalidate', false)
       FROM (
         SELECT x.ts, k.action, k.value
         FROM measurements x
         LEFT JOIN LATERAL (
           SELECT c.action, c.value FROM measurement_corrections c
           WHERE c.point_id = x.point_id AND c.variable = x.variable AND x.ts >= c.ts_from AND x.ts <= c.ts_to
             AND c.action <> 'revert' AND c.id <> $5
             AND NOT EXISTS (SELECT 1 FROM measurement_corrections r WHERE r.reverts_id = c.id)
           ORDER BY c.id DESC LIMIT 1
         ) k ON true
         WHERE x.point_id = $1 AND x.variable = $2 AND x.ts >= $3 AND x.ts <= $4
       ) w
       WHERE m.point_id = $1 AND m.variable = $2 AND m.ts >= $3 AND m.ts <= $4 AND m.ts = w.ts`,
      [pointId, variable, from, to, excludeId],
    );
    return rowCount;
  }

  async insert(tx: Queryable, c: NewCorrection, readings: number, before: AuditSample[], after: AuditSample[], at: Date): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO measurement_corrections
         (point_id, variable, ts_from, ts_to, action, value, reverts_id, reason, user_id, readings, before, after, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [c.point_id, c.variable, c.from, c.to, c.action, c.value, c.reverts_id, c.reason, c.user_id, readings,
        JSON.stringify(before), JSON.stringify(after), at],
    );
    return Number(rows[0]!.id);
  }

  /** One correction of a point, locked for the rest of the transaction (a revert racing another waits). */
  async lockOne(tx: Queryable, pointId: number, id: number): Promise<CorrectionRow | undefined> {
    const { rows } = await tx.query<{ id: number }>(
      'SELECT id FROM measurement_corrections WHERE id = $1 AND point_id = $2 FOR UPDATE',
      [id, pointId],
    );
    if (rows.length === 0) return undefined;
    return this.get(id, tx);
  }

  async get(id: number, conn: Queryable = this.db): Promise<CorrectionRow | undefined> {
    const { rows } = await conn.query<CorrectionRow>(
      `SELECT ${ROW_COLUMNS} FROM measurement_corrections c LEFT JOIN users u ON u.id = c.user_id WHERE c.id = $1`,
      [id],
    );
    return rows[0] ? normalise(rows[0]) : undefined;
  }

  /** The point's corrections, newest first. */
  async list(pointId: number, f: { variable?: string }, limit: number, offset: number): Promise<{ items: CorrectionRow[]; total: number }> {
    const params: unknown[] = [pointId];
    const variable = f.variable === undefined ? '' : `AND c.variable = $${params.push(f.variable)}`;
    const n = params.length;
    const [items, total] = await Promise.all([
      this.db.query<CorrectionRow>(
        `SELECT ${ROW_COLUMNS} FROM measurement_corrections c LEFT JOIN users u ON u.id = c.user_id
         WHERE c.point_id = $1 ${variable} ORDER BY c.id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset],
      ),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM measurement_corrections c WHERE c.point_id = $1 ${variable}`, params),
    ]);
    return { items: items.rows.map(normalise), total: total.rows[0]!.n };
  }

  /**
   * Moves the point variable's latest value to its newest reading that is not invalid, with its
   * effective value; removes it when every reading is invalid.
   */
  async refreshLatest(tx: Queryable, pointId: number, variable: string): Promise<void> {
    const { rowCount } = await tx.query(
      `INSERT INTO latest_values AS l (point_id, variable, ts, value_numeric, value_text, value_boolean, quality_score, quality_flags)
       SELECT point_id, variable, ts, ${EFFECTIVE_VALUE()}, value_text, value_boolean, quality_score, quality_flags
       FROM measurements WHERE point_id = $1 AND variable = $2 AND NOT is_invalid ORDER BY ts DESC LIMIT 1
       ON CONFLICT (point_id, variable) DO UPDATE SET
         ts = EXCLUDED.ts, value_numeric = EXCLUDED.value_numeric, value_text = EXCLUDED.value_text,
         value_boolean = EXCLUDED.value_boolean, quality_score = EXCLUDED.quality_score, quality_flags = EXCLUDED.quality_flags`,
      [pointId, variable],
    );
    if (rowCount === 0) await tx.query('DELETE FROM latest_values WHERE point_id = $1 AND variable = $2', [pointId, variable]);
  }
}

function normalise(r: CorrectionRow): CorrectionRow {
  return {
    ...r,
    id: Number(r.id),
    point_id: Number(r.point_id),
    reverts_id: r.reverts_id === null ? null : Number(r.reverts_id),
    user_id: r.user_id === null ? null : Number(r.user_id),
    reverted_by: r.reverted_by === null ? null : Number(r.reverted_by),
  };
}
