import type { Queryable } from '../infra/db/index.js';
import { insertStatement, updateStatement } from '../infra/db/sql.js';
import type { DgaStandard } from '../dga/types.js';
import { POINT_WRITABLE_COLUMNS } from '../registry/point.repository.js';

export interface LegacyIdRow {
  new_id: number;
  telemetry_blocked: boolean;
  /** What later runs need to know again about the row (a variable: its scheme and SmartHydro variable). */
  detail: Record<string, unknown> | null;
}

const CLIENT_COLUMNS = ['name', 'rut', 'address', 'phone', 'email'] as const;
const PROJECT_COLUMNS = ['client_id', 'name', 'code_internal'] as const;

/** The legacy id map and the registry rows the import writes, on the connection (transaction) it is given. */
export class LegacyRepository {
  constructor(private readonly conn: Queryable) {}

  async mapped(model: string, legacyPk: string): Promise<LegacyIdRow | undefined> {
    const { rows } = await this.conn.query<LegacyIdRow>(
      'SELECT new_id, telemetry_blocked, detail FROM legacy_ids WHERE model = $1 AND legacy_pk = $2',
      [model, legacyPk],
    );
    const row = rows[0];
    return row && { new_id: Number(row.new_id), telemetry_blocked: row.telemetry_blocked, detail: row.detail ?? null };
  }

  async map(model: string, legacyPk: string, newId: number, telemetryBlocked = false, detail: object | null = null): Promise<void> {
    await this.conn.query(
      'INSERT INTO legacy_ids (model, legacy_pk, new_id, telemetry_blocked, detail) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [model, legacyPk, newId, telemetryBlocked, detail === null ? null : JSON.stringify(detail)],
    );
  }

  /** What a point's DGA configuration takes from elsewhere: its client's RUT, and the DGA start day the profile gave. */
  async pointDgaContext(pointId: number): Promise<{ client_rut: string | null; dga_start_date: string | null }> {
    const { rows } = await this.conn.query<{ client_rut: string | null; dga_start_date: string | null }>(
      `SELECT c.rut AS client_rut, p.dga_start_date::text AS dga_start_date
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id JOIN clients c ON c.id = pr.client_id WHERE p.id = $1`,
      [pointId],
    );
    return rows[0] ?? { client_rut: null, dga_start_date: null };
  }

  /** The point's DGA standard and código de obra, as the import left them. */
  async pointDga(pointId: number): Promise<{ standard: DgaStandard | null; code: string | null } | undefined> {
    const { rows } = await this.conn.query<{ dga_standard: DgaStandard | null; dga_code: string | null }>(
      'SELECT dga_standard, dga_code FROM catchment_points WHERE id = $1', [pointId]);
    return rows[0] && { standard: rows[0].dga_standard, code: rows[0].dga_code };
  }

  /**
   * The legacy `addition` as the totalizer's channel offset (custom_config.totalizador.processing.offset),
   * keeping whatever else the point's own config says of the totalizer: newly collected totals continue
   * the legacy ones.
   */
  async setTotalizerOffset(pointId: number, offset: number): Promise<void> {
    await this.conn.query(
      `INSERT INTO dynamic_schemas (point_id, custom_config)
       VALUES ($1, jsonb_build_object('totalizador', jsonb_build_object('processing', jsonb_build_object('offset', $2::float8))))
       ON CONFLICT (point_id) DO UPDATE SET custom_config = jsonb_set(
         dynamic_schemas.custom_config, '{totalizador}',
         coalesce(dynamic_schemas.custom_config->'totalizador', '{}'::jsonb) || jsonb_build_object('processing',
           coalesce(dynamic_schemas.custom_config->'totalizador'->'processing', '{}'::jsonb) || jsonb_build_object('offset', $2::float8))),
         updated_at = now()`,
      [pointId, offset],
    );
  }

  async clientIdByRut(rut: string): Promise<number | undefined> {
    const { rows } = await this.conn.query<{ id: number }>('SELECT id FROM clients WHERE rut = $1', [rut]);
    return rows[0] && Number(rows[0].id);
  }

  async projectIdByCode(clientId: number, code: string): Promise<number | undefined> {
    const { rows } = await this.conn.query<{ id: number }>('SELECT id FROM projects WHERE client_id = $1 AND code_internal = $2', [clientId, code]);
    return rows[0] && Number(rows[0].id);
  }

  async insertClient(values: Record<string, unknown>): Promise<number> {
    return this.insert('clients', values, CLIENT_COLUMNS);
  }

  async insertProject(values: Record<string, unknown>): Promise<number> {
    return this.insert('projects', values, PROJECT_COLUMNS);
  }

  async insertPoint(values: Record<string, unknown>): Promise<number> {
    return this.insert('catchment_points', values, POINT_WRITABLE_COLUMNS);
  }

  async updatePoint(pointId: number, values: Record<string, unknown>): Promise<void> {
    const stmt = updateStatement('catchment_points', pointId, values, POINT_WRITABLE_COLUMNS);
    if (stmt) await this.conn.query(stmt.sql, stmt.params);
  }

  async addSchemePoints(schemePk: string, pointIds: number[]): Promise<void> {
    for (const id of pointIds) {
      await this.conn.query('INSERT INTO legacy_scheme_points (scheme_pk, point_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [schemePk, id]);
    }
  }

  async schemePoints(schemePk: string): Promise<number[]> {
    const { rows } = await this.conn.query<{ point_id: number }>(
      'SELECT point_id FROM legacy_scheme_points WHERE scheme_pk = $1 ORDER BY point_id', [schemePk]);
    return rows.map((r) => Number(r.point_id));
  }

  /** Whether the point's own config already has an entry for the variable. */
  async hasPointVariable(pointId: number, key: string): Promise<boolean> {
    const { rows } = await this.conn.query('SELECT 1 FROM dynamic_schemas WHERE point_id = $1 AND custom_config ? $2', [pointId, key]);
    return rows.length > 0;
  }

  /** Sets one variable of the point's own config (custom_config), creating the point's schema row if needed. */
  async setPointVariable(pointId: number, key: string, config: object): Promise<void> {
    await this.conn.query(
      `INSERT INTO dynamic_schemas (point_id, custom_config) VALUES ($1, jsonb_build_object($2::text, $3::jsonb))
       ON CONFLICT (point_id) DO UPDATE SET custom_config = dynamic_schemas.custom_config || EXCLUDED.custom_config, updated_at = now()`,
      [pointId, key, JSON.stringify(config)],
    );
  }

  private async insert(table: string, values: Record<string, unknown>, columns: readonly string[]): Promise<number> {
    const { sql, params } = insertStatement(table, values, columns);
    const { rows } = await this.conn.query<{ id: number }>(sql, params);
    return Number(rows[0]!.id);
  }
}
