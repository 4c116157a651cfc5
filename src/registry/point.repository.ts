import type { Static } from '@sinclair/typebox';
import type { Point } from './registry.schemas.js';
import type { Db, Queryable } from '../infra/db/index.js';
import { count, escapeLike, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';

/** Columns a caller may see. Encrypted credentials are never selected for output. */
export const POINT_PUBLIC_COLUMNS = [
  'id', 'project_id', 'title', 'owner_user_id', 'latitude', 'longitude', 'is_telemetry_active', 'provider',
  'frequency', 'provider_device', 'telemetry_start_at', 'well_depth', 'pump_position', 'level_sensor_position',
  'pipe_diameter', 'flowmeter_diameter', 'initial_meter_reading', 'dga_send', 'dga_standard', 'dga_type', 'dga_code',
  'dga_granted_flow', 'dga_annual_volume', 'dga_shac', 'dga_informant_rut', 'dga_company_rut', 'dga_start_date',
  'dga_work_point_id', 'dga_totalizer_source', 'created_at', 'updated_at',
] as const;

export const POINT_WRITABLE_COLUMNS = [
  ...POINT_PUBLIC_COLUMNS.filter((c) => !['id', 'created_at', 'updated_at'].includes(c)),
  'provider_token_enc',
  'dga_password_enc',
] as const;

const SELECT = `SELECT ${POINT_PUBLIC_COLUMNS.map((c) => `p.${c}`).join(', ')}, pr.client_id,
  p.provider_token_enc IS NOT NULL AS has_provider_token, p.dga_password_enc IS NOT NULL AS has_dga_password,
  COALESCE((SELECT array_agg(v.user_id ORDER BY v.user_id) FROM point_viewers v WHERE v.point_id = p.id), '{}') AS viewer_user_ids
  FROM catchment_points p JOIN projects pr ON pr.id = p.project_id`;

export type PointRow = Static<typeof Point>;

export interface PointFilter {
  tenant: number | null;
  project_id?: number;
  client_id?: number;
  provider?: string;
  frequency?: number;
  is_telemetry_active?: boolean;
  q?: string;
  bbox?: [number, number, number, number];
}

function whereOf(f: PointFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conds: string[] = [];
  if (f.tenant !== null) conds.push(`pr.client_id = $${params.push(f.tenant)}`);
  if (f.client_id !== undefined) conds.push(`pr.client_id = $${params.push(f.client_id)}`);
  if (f.project_id !== undefined) conds.push(`p.project_id = $${params.push(f.project_id)}`);
  if (f.provider !== undefined) conds.push(`p.provider = $${params.push(f.provider)}`);
  if (f.frequency !== undefined) conds.push(`p.frequency = $${params.push(f.frequency)}`);
  if (f.is_telemetry_active !== undefined) conds.push(`p.is_telemetry_active = $${params.push(f.is_telemetry_active)}`);
  if (f.q) conds.push(`p.title ILIKE $${params.push(`%${escapeLike(f.q)}%`)} ESCAPE '\\'`);
  if (f.bbox) {
    const [minLon, minLat, maxLon, maxLat] = f.bbox;
    conds.push(
      `p.latitude IS NOT NULL AND cube(ARRAY[p.longitude::float8, p.latitude::float8]) <@ ` +
        `cube(ARRAY[$${params.push(minLon)}::float8, $${params.push(minLat)}::float8], ARRAY[$${params.push(maxLon)}::float8, $${params.push(maxLat)}::float8])`,
    );
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

export class PointRepository {
  constructor(private readonly db: Db) {}

  async list(f: PointFilter, limit: number, offset: number): Promise<Page<PointRow>> {
    const { where, params } = whereOf(f);
    const n = params.length;
    const [items, total] = await Promise.all([
      this.db.query<PointRow>(`${SELECT} ${where} ORDER BY p.id LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, limit, offset]),
      count(this.db, `SELECT 1 FROM catchment_points p JOIN projects pr ON pr.id = p.project_id ${where}`, params),
    ]);
    return { items: items.rows, total };
  }

  async get(id: number, conn: Queryable = this.db): Promise<PointRow | undefined> {
    const { rows } = await conn.query<PointRow>(`${SELECT} WHERE p.id = $1`, [id]);
    return rows[0];
  }

  async near(
    f: PointFilter,
    lat: number,
    lon: number,
    radiusM: number,
    limit: number,
  ): Promise<Page<PointRow & { distance_m: number }>> {
    const { where, params } = whereOf(f);
    const o = params.length;
    const origin = `ll_to_earth($${o + 1}::float8, $${o + 2}::float8)`;
    const loc = 'll_to_earth(p.latitude::float8, p.longitude::float8)';
    const geo = `p.latitude IS NOT NULL AND earth_box(${origin}, $${o + 3}::float8) @> ${loc} AND earth_distance(${origin}, ${loc}) <= $${o + 3}::float8`;
    const fullWhere = where ? `${where} AND ${geo}` : `WHERE ${geo}`;
    const all = [...params, lat, lon, radiusM];
    const [items, total] = await Promise.all([
      this.db.query<PointRow & { distance_m: number }>(
        `SELECT * FROM (SELECT q.*, earth_distance(${origin}, ll_to_earth(q.latitude::float8, q.longitude::float8)) AS distance_m
           FROM (${SELECT} ${fullWhere}) q) d ORDER BY distance_m, id LIMIT $${o + 4}`,
        [...all, limit],
      ),
      count(this.db, `SELECT 1 FROM catchment_points p JOIN projects pr ON pr.id = p.project_id ${fullWhere}`, all),
    ]);
    return { items: items.rows, total };
  }

  /** Active telemetry points as one JSON array text, built by the database. */
  async activeJson(f: { tenant: number | null; frequency?: number; provider?: string }): Promise<{ json: string; total: number }> {
    const { where, params } = whereOf({ ...f, is_telemetry_active: true });
    const { rows } = await this.db.query<{ json: string; total: number }>(
      `SELECT COALESCE(json_agg(row_to_json(x) ORDER BY x.id), '[]')::text AS json, count(*)::int AS total
       FROM (SELECT p.id, p.title, p.provider, p.frequency, p.project_id, pr.client_id, p.latitude, p.longitude,
                    p.provider_device,
                    to_char(p.telemetry_start_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS telemetry_start_at,
                    p.dga_send
             FROM catchment_points p JOIN projects pr ON pr.id = p.project_id ${where}) x`,
      params,
    );
    return rows[0]!;
  }

  /** A new point with its (empty) dynamic schema and its viewers; returns its id. */
  async insert(values: Record<string, unknown>, viewerUserIds: number[] | undefined): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { sql, params } = insertStatement('catchment_points', values, POINT_WRITABLE_COLUMNS);
      const { rows } = await tx.query<{ id: number }>(sql, params);
      const pointId = rows[0]!.id;
      await tx.query('INSERT INTO dynamic_schemas (point_id) VALUES ($1)', [pointId]);
      if (viewerUserIds) await this.setViewers(tx, pointId, viewerUserIds);
      return pointId;
    });
  }

  /** Writes the given columns and, when given, replaces the viewers. */
  async update(id: number, values: Record<string, unknown>, viewerUserIds: number[] | undefined): Promise<void> {
    const stmt = updateStatement('catchment_points', id, values, POINT_WRITABLE_COLUMNS);
    await this.db.transaction(async (tx) => {
      if (stmt) await tx.query(stmt.sql, stmt.params);
      if (viewerUserIds) await this.setViewers(tx, id, viewerUserIds);
    });
  }

  /** Points whose meter reports in the DGA work of `pointId`. */
  async workMembers(pointId: number): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>('SELECT id FROM catchment_points WHERE dga_work_point_id = $1 ORDER BY id', [pointId]);
    return rows.map((r) => Number(r.id));
  }

  async delete(id: number): Promise<void> {
    await this.db.query('DELETE FROM catchment_points WHERE id = $1', [id]);
  }

  private async setViewers(conn: Queryable, pointId: number, userIds: number[]): Promise<void> {
    await conn.query('DELETE FROM point_viewers WHERE point_id = $1', [pointId]);
    if (userIds.length > 0) {
      await conn.query(
        'INSERT INTO point_viewers (point_id, user_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
        [pointId, userIds],
      );
    }
  }
}
