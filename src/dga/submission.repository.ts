import type { Db, Queryable } from '../infra/db/index.js';
import type { DgaStandard } from './types.js';

export type SubmissionStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'needs_attention';
export const SUBMISSION_STATUSES: readonly SubmissionStatus[] = ['pending', 'sending', 'sent', 'failed', 'needs_attention'];

/** Error codes after which every other slot of the point would fail the same way: its queue pauses. */
export const POINT_BLOCKING_CODES = ['DGA_INFORMANTE_MISMATCH', 'DGA_AUTH_REJECTED'] as const;

export interface SubmissionRow {
  id: number;
  point_id: number;
  slot_at: Date;
  standard: DgaStandard;
  status: SubmissionStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  lease_until: Date | null;
  lease_token: string | null;
  leased_by: string | null;
  point_updated_at: Date | null;
  payload: unknown;
  reading: unknown;
  receipt: string | null;
  duplicate: boolean;
  last_http_status: number | null;
  last_response: string | null;
  error_code: string | null;
  error_message: string | null;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A row as the API shows it: with the point's title, client and código de obra, without lease internals. */
export type SubmissionView = Omit<SubmissionRow, 'lease_until' | 'lease_token' | 'leased_by' | 'point_updated_at'> & {
  point_title: string;
  client_id: number;
  codigo_obra: string | null;
};

export interface SubmissionFilter {
  tenant: number | null;
  point_id?: number;
  client_id?: number;
  status?: SubmissionStatus;
  /** slot_at >= from */
  from?: Date;
  /** slot_at < to */
  to?: Date;
}

/** The DGA settings and variable layout a reporter needs for one point (password still encrypted). */
export interface DgaPointRow {
  id: number;
  title: string;
  client_id: number;
  dga_send: boolean;
  dga_standard: DgaStandard | null;
  dga_type: 'SUBTERRANEO' | 'SUPERFICIAL' | null;
  dga_code: string | null;
  dga_informant_rut: string | null;
  dga_password_enc: string | null;
  dga_company_rut: string | null;
  /** `YYYY-MM-DD` (a calendar date in DGA_TIMEZONE). */
  dga_start_date: string | null;
  updated_at: Date;
}

const VIEW_COLUMNS = `s.id, s.point_id, s.slot_at, s.standard, s.status, s.attempts, s.next_attempt_at, s.last_attempt_at,
  s.payload, s.reading, s.receipt, s.duplicate, s.last_http_status, s.last_response, s.error_code, s.error_message,
  s.sent_at, s.created_at, s.updated_at, p.title AS point_title, pr.client_id, p.dga_code AS codigo_obra`;
const FROM = 'FROM dga_submissions s JOIN catchment_points p ON p.id = s.point_id JOIN projects pr ON pr.id = p.project_id';

function whereOf(f: SubmissionFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conds: string[] = [];
  if (f.tenant !== null) conds.push(`pr.client_id = $${params.push(f.tenant)}`);
  if (f.client_id !== undefined) conds.push(`pr.client_id = $${params.push(f.client_id)}`);
  if (f.point_id !== undefined) conds.push(`s.point_id = $${params.push(f.point_id)}`);
  if (f.status !== undefined) conds.push(`s.status = $${params.push(f.status)}`);
  if (f.from !== undefined) conds.push(`s.slot_at >= $${params.push(f.from)}`);
  if (f.to !== undefined) conds.push(`s.slot_at < $${params.push(f.to)}`);
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/** What the reporter writes after one send (or after deciding not to send). */
export interface AttemptResult {
  status: Exclude<SubmissionStatus, 'sending' | 'sent'>;
  nextAttemptAt: Date | null;
  httpStatus: number | null;
  response: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export class SubmissionRepository {
  constructor(private readonly db: Db) {}

  async list(f: SubmissionFilter, limit: number, offset: number): Promise<{ items: SubmissionView[]; total: number }> {
    const { where, params } = whereOf(f);
    const n = params.length;
    const [items, total] = await Promise.all([
      this.db.query<SubmissionView>(
        `SELECT ${VIEW_COLUMNS} ${FROM} ${where} ORDER BY s.slot_at DESC, s.id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...params, limit, offset],
      ),
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n ${FROM} ${where}`, params),
    ]);
    return { items: items.rows, total: total.rows[0]!.n };
  }

  async get(id: number): Promise<SubmissionView | undefined> {
    const { rows } = await this.db.query<SubmissionView>(`SELECT ${VIEW_COLUMNS} ${FROM} WHERE s.id = $1`, [id]);
    return rows[0];
  }

  /** Every point with DGA reporting switched on. */
  async sendingPoints(): Promise<DgaPointRow[]> {
    const { rows } = await this.db.query<DgaPointRow>(
      `SELECT p.id, p.title, pr.client_id, p.dga_send, p.dga_standard, p.dga_type, p.dga_code, p.dga_informant_rut,
              p.dga_password_enc, p.dga_company_rut, p.dga_start_date::text AS dga_start_date, p.updated_at
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id WHERE p.dga_send ORDER BY p.id`,
    );
    return rows;
  }

  async point(id: number): Promise<DgaPointRow | undefined> {
    const { rows } = await this.db.query<DgaPointRow>(
      `SELECT p.id, p.title, pr.client_id, p.dga_send, p.dga_standard, p.dga_type, p.dga_code, p.dga_informant_rut,
              p.dga_password_enc, p.dga_company_rut, p.dga_start_date::text AS dga_start_date, p.updated_at
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id WHERE p.id = $1`,
      [id],
    );
    return rows[0];
  }

  /** The oldest and newest slots planned for a point (any status); the range between them is planned. */
  /** First and last planned slot of each point (nulls for a point with none), in one query. */
  async plannedRanges(pointIds: readonly number[]): Promise<Map<number, TimeRange>> {
    const { rows } = await this.db.query<{ point_id: number; first: Date | null; last: Date | null }>(
      `SELECT p.id AS point_id,
              (SELECT min(slot_at) FROM dga_submissions s WHERE s.point_id = p.id) AS first,
              (SELECT max(slot_at) FROM dga_submissions s WHERE s.point_id = p.id) AS last
       FROM unnest($1::bigint[]) AS p(id)`,
      [pointIds],
    );
    return new Map(rows.map((r) => [Number(r.point_id), { first: r.first, last: r.last }]));
  }

  /**
   * Timestamps of the oldest and newest stored numeric readings of each (point, variable), in one
   * query of index probes; keyed `point id + NUL + variable`, nulls when there is none.
   */
  async readingRanges(series: readonly { pointId: number; variable: string }[]): Promise<Map<string, TimeRange>> {
    if (series.length === 0) return new Map();
    const edge = (order: 'ASC' | 'DESC') =>
      `(SELECT ts FROM measurements m WHERE m.point_id = x.p AND m.variable = x.v AND m.value_numeric IS NOT NULL
        ORDER BY ts ${order} LIMIT 1)`;
    const { rows } = await this.db.query<{ p: number; v: string; first: Date | null; last: Date | null }>(
      `SELECT x.p, x.v, ${edge('ASC')} AS first, ${edge('DESC')} AS last
       FROM unnest($1::bigint[], $2::text[]) AS x(p, v)`,
      [series.map((s) => s.pointId), series.map((s) => s.variable)],
    );
    return new Map(rows.map((r) => [seriesKey(Number(r.p), r.v), { first: r.first, last: r.last }]));
  }

  /**
   * Numeric samples of a variable in (from, to], oldest first, leaving out readings the processor
   * flagged as unusable (spikes, out of range, level without a sensor position).
   */
  async samples(pointId: number, variable: string, from: Date, to: Date): Promise<{ ts: Date; value: number }[]> {
    const { rows } = await this.db.query<{ ts: Date; value: number }>(
      `SELECT ts, value_numeric AS value FROM measurements
       WHERE point_id = $1 AND variable = $2 AND ts > $3 AND ts <= $4 AND value_numeric IS NOT NULL
         AND NOT (quality_flags && ARRAY['spike', 'out_of_range', 'missing_sensor_position']::text[])
       ORDER BY ts`,
      [pointId, variable, from, to],
    );
    return rows;
  }

  /** Creates pending rows for the given slots; slots that already have a row are left alone. */
  async plan(pointId: number, standard: DgaStandard, slots: readonly Date[], now: Date): Promise<number> {
    if (slots.length === 0) return 0;
    const { rowCount } = await this.db.query(
      `INSERT INTO dga_submissions (point_id, slot_at, standard, next_attempt_at)
       SELECT $1, slot, $2, $3 FROM unnest($4::timestamptz[]) AS slot
       ON CONFLICT (point_id, slot_at) DO NOTHING`,
      [pointId, standard, now, slots.map((s) => s.toISOString())],
    );
    return rowCount;
  }

  /**
   * Atomically takes the oldest due row whose point still reports and is not paused by a credentials
   * refusal that the point's configuration has not been changed since. SKIP LOCKED lets concurrent
   * reporters on PostgreSQL take different rows; the condition is repeated on the locked row so a row
   * another reporter changed in the meantime is never taken. A row with a receipt is never claimable.
   */
  async claim(now: Date, leaseMs: number, owner: string, token: string): Promise<SubmissionRow | undefined> {
    const claimable = `s.receipt IS NULL AND s.next_attempt_at <= $1
      AND (s.status IN ('pending', 'failed') OR (s.status = 'sending' AND s.lease_until < $1))`;
    const { rows } = await this.db.query<SubmissionRow>(
      `UPDATE dga_submissions s
       SET status = 'sending', lease_until = $2, lease_token = $3, leased_by = $4, updated_at = now()
       WHERE s.id = (
         SELECT s.id FROM dga_submissions s JOIN catchment_points p ON p.id = s.point_id
         WHERE ${claimable} AND p.dga_send
           AND NOT EXISTS (
             SELECT 1 FROM dga_submissions b
             WHERE b.point_id = s.point_id AND b.status = 'needs_attention'
               AND b.error_code = ANY($5::text[]) AND b.point_updated_at = p.updated_at)
         ORDER BY s.slot_at, s.id
         LIMIT 1
         FOR UPDATE OF s SKIP LOCKED)
       AND ${claimable}
       RETURNING s.*`,
      [now, new Date(now.getTime() + leaseMs), token, owner, POINT_BLOCKING_CODES],
    );
    return rows[0];
  }

  /**
   * Records the request about to go out, and the point's configuration version it was built from (read
   * in SQL: a round trip through a JS Date would drop the microseconds). False when the lease was lost:
   * then nothing must be sent.
   */
  async markAttempt(id: number, token: string, a: { at: Date; payload: unknown; reading: unknown }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE dga_submissions s SET attempts = attempts + 1, last_attempt_at = $3, payload = $4, reading = $5,
         point_updated_at = (SELECT p.updated_at FROM catchment_points p WHERE p.id = s.point_id), updated_at = now()
       WHERE s.id = $1 AND s.lease_token = $2 AND s.status = 'sending' AND s.receipt IS NULL`,
      [id, token, a.at, JSON.stringify(a.payload), JSON.stringify(a.reading)],
    );
    return rowCount === 1;
  }

  /**
   * Stores a receipt. Deliberately not tied to the lease: a receipt DGA gave is a fact that must be kept
   * even if this reporter's lease ran out meanwhile. A row that already has one keeps it.
   */
  async markSent(
    id: number,
    r: { receipt: string; duplicate: boolean; at: Date; httpStatus: number; response: string },
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE dga_submissions SET status = 'sent', receipt = $2, duplicate = $3, sent_at = $4, last_http_status = $5,
         last_response = $6, error_code = NULL, error_message = NULL, next_attempt_at = NULL,
         lease_until = NULL, lease_token = NULL, updated_at = now()
       WHERE id = $1 AND receipt IS NULL`,
      [id, r.receipt, r.duplicate, r.at, r.httpStatus, r.response],
    );
    return rowCount === 1;
  }

  /** Releases the claim with the outcome of an attempt (or of not being able to build one). */
  async release(id: number, token: string, r: AttemptResult): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE dga_submissions SET status = $3, next_attempt_at = $4,
         last_http_status = COALESCE($5, last_http_status), last_response = COALESCE($6, last_response),
         error_code = $7, error_message = $8, lease_until = NULL, lease_token = NULL, updated_at = now()
       WHERE id = $1 AND lease_token = $2 AND status = 'sending' AND receipt IS NULL`,
      [id, token, r.status, r.nextAttemptAt, r.httpStatus, r.response, r.errorCode, r.errorMessage],
    );
    return rowCount === 1;
  }

  /**
   * Puts a row back in the queue for the next reporter pass (next_attempt_at no later than the slot itself,
   * which every reporter's clock has passed). Never touches a row with a receipt or one a reporter holds
   * under a live lease; false when nothing changed.
   */
  async requeue(id: number, now: Date, conn: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await conn.query(
      `UPDATE dga_submissions SET status = 'pending', next_attempt_at = LEAST($2, slot_at), error_code = NULL, error_message = NULL,
         lease_until = NULL, lease_token = NULL, updated_at = now()
       WHERE id = $1 AND receipt IS NULL AND (status <> 'sending' OR lease_until < $2)`,
      [id, now],
    );
    return rowCount === 1;
  }
}

export interface TimeRange {
  first: Date | null;
  last: Date | null;
}

export const seriesKey = (pointId: number, variable: string) => `${pointId}\u0000${variable}`;
