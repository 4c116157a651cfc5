import type { Db, Queryable } from '../infra/db/index.js';
import type { DgaStandard } from './types.js';
import type { TimeRange } from './dga-point.repository.js';
import type { NeedsAttentionLine, SubmissionStatus, SubmissionView } from './dga.schemas.js';

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

export interface SubmissionFilter {
  tenant: number | null;
  point_id?: number;
  client_id?: number;
  status?: SubmissionStatus;
  /** slot_at >= from */
  from?: Date;
  /** slot_at < to */
  to?: Date;
  /** Only receipted slots whose data was corrected after sending (true), or only the others (false). */
  receipted_with_superseded_data?: boolean;
}

/**
 * A receipted slot whose data staff corrected after it was sent: a correction (migrations/0008) created
 * after sent_at whose range meets what the reading was built from — the slot window and the sample
 * times of the totalizer and water table. Such a slot is never sent again; the operator rectifies it
 * with the DGA.
 */
export const SUPERSEDED = `(s.status = 'sent' AND s.sent_at IS NOT NULL AND EXISTS (
  SELECT 1 FROM measurement_corrections c
  WHERE c.point_id = s.point_id AND c.created_at > s.sent_at
    AND c.ts_from <= coalesce((s.reading->'window'->>'to')::timestamptz, s.slot_at)
    AND c.ts_to >= LEAST(coalesce((s.reading->'window'->>'from')::timestamptz, s.slot_at),
                         (s.reading->>'totalizer_ts')::timestamptz, (s.reading->>'water_table_ts')::timestamptz)))`;

const VIEW_COLUMNS = `s.id, s.point_id, s.slot_at, s.standard, s.status, s.attempts, s.next_attempt_at, s.last_attempt_at,
  s.payload, s.reading, s.receipt, s.duplicate, s.last_http_status, s.last_response, s.error_code, s.error_message,
  s.sent_at, s.created_at, s.updated_at, p.title AS point_title, pr.client_id, p.dga_code AS codigo_obra,
  ${SUPERSEDED} AS receipted_with_superseded_data`;
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
  if (f.receipted_with_superseded_data !== undefined) {
    conds.push(`${SUPERSEDED} = $${params.push(f.receipted_with_superseded_data)}`);
  }
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

  /** Rows not sent yet, by status (the DGA queue; `sent` is left out: it only grows). */
  async queueCounts(): Promise<Record<Exclude<SubmissionStatus, 'sent'>, number>> {
    const r = await this.db.query<{ status: Exclude<SubmissionStatus, 'sent'>; n: number }>(
      `SELECT status, count(*)::int AS n FROM dga_submissions
        WHERE status IN ('pending', 'sending', 'failed', 'needs_attention') GROUP BY status`,
    );
    const counts = { pending: 0, sending: 0, failed: 0, needs_attention: 0 };
    for (const row of r.rows) counts[row.status] = row.n;
    return counts;
  }

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

  /** `plan` of several points in one statement; returns the rows created. */
  async planMany(points: readonly { pointId: number; standard: DgaStandard; slots: readonly Date[] }[], now: Date): Promise<number> {
    const ids: number[] = [];
    const standards: string[] = [];
    const slots: string[] = [];
    for (const p of points) {
      for (const s of p.slots) {
        ids.push(p.pointId);
        standards.push(p.standard);
        slots.push(s.toISOString());
      }
    }
    if (slots.length === 0) return 0;
    const { rowCount } = await this.db.query(
      `INSERT INTO dga_submissions (point_id, slot_at, standard, next_attempt_at)
       SELECT point_id, slot, standard, $1 FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS x(point_id, standard, slot)
       ON CONFLICT (point_id, slot_at) DO NOTHING`,
      [now, ids, standards, slots],
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
    // The label the request carried is recorded with the receipt, so no other slot sends it again.
    const { rows } = await this.db.query<{ id: number }>(
      `WITH sent AS (
         UPDATE dga_submissions SET status = 'sent', receipt = $2, duplicate = $3, sent_at = $4, last_http_status = $5,
           last_response = $6, error_code = NULL, error_message = NULL, next_attempt_at = NULL,
           lease_until = NULL, lease_token = NULL, updated_at = now()
         WHERE id = $1 AND receipt IS NULL
         RETURNING id, payload),
       labelled AS (
         SELECT id, payload->'headers'->>'codigoObra' AS code,
                coalesce(payload->'body'->'medicionSubterranea', payload->'body'->'medicionSuperficialFlujometro') AS m
         FROM sent),
       recorded AS (
         INSERT INTO dga_receipted_labels (codigo_obra, fecha_medicion, hora_medicion, receipt, submission_id, source)
         SELECT code, m->>'fechaMedicion', m->>'horaMedicion', $2, id, 'reporter' FROM labelled
         WHERE code IS NOT NULL AND m->>'fechaMedicion' IS NOT NULL AND m->>'horaMedicion' IS NOT NULL
         ON CONFLICT DO NOTHING)
       SELECT id FROM sent`,
      [id, r.receipt, r.duplicate, r.at, r.httpStatus, r.response],
    );
    return rows.length === 1;
  }

  /** The receipt DGA gave for a label (código de obra, fechaMedicion, horaMedicion), whoever sent it. */
  async receiptedLabel(codigoObra: string, fecha: string, hora: string): Promise<{ receipt: string; source: string } | undefined> {
    const { rows } = await this.db.query<{ receipt: string; source: string }>(
      'SELECT receipt, source FROM dga_receipted_labels WHERE codigo_obra = $1 AND fecha_medicion = $2 AND hora_medicion = $3',
      [codigoObra, fecha, hora],
    );
    return rows[0];
  }

  /** Keeps a claim held (while the answer of a send is being recorded). False when the lease was lost. */
  async extendLease(id: number, token: string, until: Date): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE dga_submissions SET lease_until = $3, updated_at = now()
       WHERE id = $1 AND lease_token = $2 AND status = 'sending' AND receipt IS NULL`,
      [id, token, until],
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

  /** Rows per status of one client's points (null: all), with the retries scheduled and the oldest and newest slot times. */
  async statusCounts(
    tenant: number | null,
  ): Promise<{ status: SubmissionStatus; n: number; retrying: number; oldest: Date | null; last_sent: Date | null }[]> {
    const { rows } = await this.db.query<{ status: SubmissionStatus; n: number; retrying: number; oldest: Date | null; last_sent: Date | null }>(
      `SELECT s.status, count(*)::int AS n, count(*) FILTER (WHERE s.next_attempt_at IS NOT NULL)::int AS retrying,
              min(s.slot_at) AS oldest, max(s.sent_at) AS last_sent
       ${FROM} ${tenant === null ? '' : 'WHERE pr.client_id = $1'} GROUP BY s.status`,
      tenant === null ? [] : [tenant],
    );
    return rows;
  }

  /** The newest 100 rows waiting for an operator, of one client's points (null: all). */
  async needingAttention(tenant: number | null): Promise<NeedsAttentionLine[]> {
    const { rows } = await this.db.query<NeedsAttentionLine>(
      `SELECT s.id, s.point_id, p.title AS point_title, p.dga_code AS codigo_obra, s.slot_at, s.error_code, s.error_message,
              s.last_attempt_at
       ${FROM} WHERE s.status = 'needs_attention' ${tenant === null ? '' : 'AND pr.client_id = $1'}
       ORDER BY s.slot_at DESC, s.id DESC LIMIT 100`,
      tenant === null ? [] : [tenant],
    );
    return rows;
  }

  /**
   * Per DGA-sending point of one client (null: all) with a row waiting for an operator or failed: the
   * one that tells most (needs attention before failed, then the newest slot), in one query.
   */
  async problemsByPoint(
    tenant: number | null,
  ): Promise<{ point_id: number; status: 'failed' | 'needs_attention'; slot_at: Date; error_code: string | null; error_message: string | null }[]> {
    const { rows } = await this.db.query<{
      point_id: number | string; status: 'failed' | 'needs_attention'; slot_at: Date; error_code: string | null; error_message: string | null;
    }>(
      `SELECT DISTINCT ON (s.point_id) s.point_id, s.status, s.slot_at, s.error_code, s.error_message
       ${FROM} WHERE s.status IN ('needs_attention', 'failed') AND p.dga_send ${tenant === null ? '' : 'AND pr.client_id = $1'}
       ORDER BY s.point_id, s.status = 'needs_attention' DESC, s.slot_at DESC`,
      tenant === null ? [] : [tenant],
    );
    return rows.map((r) => ({ ...r, point_id: Number(r.point_id) }));
  }
}
