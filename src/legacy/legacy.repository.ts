import type { Queryable } from '../infra/db/index.js';
import { insertStatement, updateStatement } from '../infra/db/sql.js';
import { POINT_WRITABLE_COLUMNS } from '../registry/point.repository.js';

export interface LegacyIdRow {
  new_id: number;
  telemetry_blocked: boolean;
}

const CLIENT_COLUMNS = ['name', 'rut', 'address', 'phone', 'email'] as const;
const PROJECT_COLUMNS = ['client_id', 'name', 'code_internal'] as const;

/** The legacy id map and the registry rows the import writes, on the connection (transaction) it is given. */
export class LegacyRepository {
  constructor(private readonly conn: Queryable) {}

  async mapped(model: string, legacyPk: string): Promise<LegacyIdRow | undefined> {
    const { rows } = await this.conn.query<LegacyIdRow>(
      'SELECT new_id, telemetry_blocked FROM legacy_ids WHERE model = $1 AND legacy_pk = $2',
      [model, legacyPk],
    );
    const row = rows[0];
    return row && { new_id: Number(row.new_id), telemetry_blocked: row.telemetry_blocked };
  }

  async map(model: string, legacyPk: string, newId: number, telemetryBlocked = false): Promise<void> {
    await this.conn.query(
      'INSERT INTO legacy_ids (model, legacy_pk, new_id, telemetry_blocked) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [model, legacyPk, newId, telemetryBlocked],
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
