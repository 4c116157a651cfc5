import type { DgaTotalizerSource } from '../registry/variables.js';
import type { Db } from '../infra/db/index.js';
import type { DgaStandard } from './types.js';

/** The DGA settings of one point (password still encrypted). */
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
  /** `YYYY-MM-DD`, a calendar date in the report time zone. */
  dga_start_date: string | null;
  /** Overrides the totalizer variable's setting when set. */
  dga_totalizer_source: DgaTotalizerSource | null;
  updated_at: Date;
}

/** A point the compliance report covers: reporting on, with a standard and a start date. */
export interface CompliancePointRow {
  id: number;
  title: string;
  client_id: number;
  client_name: string;
  dga_code: string | null;
  dga_standard: DgaStandard;
  dga_start_date: string;
}

export interface TimeRange {
  first: Date | null;
  last: Date | null;
}

/**
 * A reading's effective value: corrected when staff corrected it, none when they invalidated it
 * (migrations/0008_corrections.sql). A slot not yet sent is built from it at send time.
 */
const EFFECTIVE = `CASE WHEN is_invalid THEN NULL ELSE coalesce(corrected_value, value_numeric) END`;
/**
 * The meter's own reading (totalizers, migrations/0009_meter_value.sql). A corrected continuous total
 * moves the meter reading by the same amount: the offsets between the two are not what staff corrected.
 */
const EFFECTIVE_METER = `CASE WHEN is_invalid THEN NULL WHEN corrected_value IS NULL THEN meter_value
  ELSE corrected_value - value_numeric + meter_value END`;

export const seriesKey = (pointId: number, variable: string) => `${pointId}\u0000${variable}`;

const POINT_SELECT = `SELECT p.id, p.title, pr.client_id, p.dga_send, p.dga_standard, p.dga_type, p.dga_code, p.dga_informant_rut,
  p.dga_password_enc, p.dga_company_rut, p.dga_start_date::text AS dga_start_date, p.dga_totalizer_source, p.updated_at
  FROM catchment_points p JOIN projects pr ON pr.id = p.project_id`;

/** Points with their DGA settings, and the measurements a DGA reading is made of. */
export class DgaPointRepository {
  constructor(private readonly db: Db) {}

  /** Every point with DGA reporting switched on, of one client (null: all). */
  async sendingPoints(tenant: number | null = null): Promise<DgaPointRow[]> {
    const scope = tenant === null ? '' : 'AND pr.client_id = $1';
    const { rows } = await this.db.query<DgaPointRow>(
      `${POINT_SELECT} WHERE p.dga_send ${scope} ORDER BY p.id`,
      tenant === null ? [] : [tenant],
    );
    return rows;
  }

  /** Whether any point has DGA reporting switched on. */
  async anySending(): Promise<boolean> {
    const { rows } = await this.db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM catchment_points WHERE dga_send) AS any');
    return rows[0]?.any === true;
  }

  /** Points whose meter reports in the DGA work of `pointId` (see work.ts), by id. */
  async workMembers(pointId: number): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>('SELECT id FROM catchment_points WHERE dga_work_point_id = $1 ORDER BY id', [pointId]);
    return rows.map((r) => Number(r.id));
  }

  async point(id: number): Promise<DgaPointRow | undefined> {
    const { rows } = await this.db.query<DgaPointRow>(`${POINT_SELECT} WHERE p.id = $1`, [id]);
    return rows[0];
  }

  /** Points the compliance report covers, by client name then point; every filter narrows. */
  async compliancePoints(f: { tenant: number | null; client_id?: number; point_id?: number }): Promise<CompliancePointRow[]> {
    const params: unknown[] = [];
    const conds = ['p.dga_send', 'p.dga_standard IS NOT NULL', 'p.dga_start_date IS NOT NULL'];
    if (f.tenant !== null) conds.push(`pr.client_id = $${params.push(f.tenant)}`);
    if (f.client_id !== undefined) conds.push(`pr.client_id = $${params.push(f.client_id)}`);
    if (f.point_id !== undefined) conds.push(`p.id = $${params.push(f.point_id)}`);
    const { rows } = await this.db.query<CompliancePointRow>(
      `SELECT p.id, p.title, pr.client_id, c.name AS client_name, p.dga_code, p.dga_standard, p.dga_start_date::text AS dga_start_date
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id JOIN clients c ON c.id = pr.client_id
       WHERE ${conds.join(' AND ')} ORDER BY c.name, pr.client_id, p.id`,
      params,
    );
    return rows;
  }

  /**
   * Timestamps of the oldest and newest stored numeric readings of each (point, variable), in one
   * query of index probes; keyed by `seriesKey`, nulls when there is none.
   */
  async readingRanges(series: readonly { pointId: number; variable: string }[]): Promise<Map<string, TimeRange>> {
    if (series.length === 0) return new Map();
    const edge = (order: 'ASC' | 'DESC') =>
      `(SELECT ts FROM measurements m WHERE m.point_id = x.p AND m.variable = x.v AND ${EFFECTIVE} IS NOT NULL
        ORDER BY ts ${order} LIMIT 1)`;
    const { rows } = await this.db.query<{ p: number; v: string; first: Date | null; last: Date | null }>(
      `SELECT x.p, x.v, ${edge('ASC')} AS first, ${edge('DESC')} AS last
       FROM unnest($1::bigint[], $2::text[]) AS x(p, v)`,
      [series.map((s) => s.pointId), series.map((s) => s.variable)],
    );
    return new Map(rows.map((r) => [seriesKey(Number(r.p), r.v), { first: r.first, last: r.last }]));
  }

  /**
   * Numeric samples of a variable in (from, to], oldest first, with their effective values (and, for a
   * totalizer, the effective meter reading), leaving out
   * invalidated readings and those the processor flagged as unusable (spikes, out of range, level
   * without a sensor position) unless staff corrected their value.
   */
  async samples(pointId: number, variable: string, from: Date, to: Date): Promise<{ ts: Date; value: number; meter: number | null }[]> {
    const { rows } = await this.db.query<{ ts: Date; value: number; meter: number | null }>(
      `SELECT ts, ${EFFECTIVE} AS value, ${EFFECTIVE_METER} AS meter FROM measurements
       WHERE point_id = $1 AND variable = $2 AND ts > $3 AND ts <= $4 AND ${EFFECTIVE} IS NOT NULL
         AND (corrected_value IS NOT NULL OR NOT (quality_flags && ARRAY['spike', 'out_of_range', 'missing_sensor_position']::text[]))
       ORDER BY ts`,
      [pointId, variable, from, to],
    );
    return rows;
  }
}
