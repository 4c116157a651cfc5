import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import { count, insertStatement, type Page, updateStatement } from '../infra/db/sql.js';
import type { Json } from './deep-merge.js';
import type { Template } from './registry.schemas.js';

export type TemplateRow = Static<typeof Template>;

/** A point's dynamic schema row joined with its template's parts (null without a template). */
export interface PointSchemaSource {
  point_id: number;
  template_id: number | null;
  custom_config: Json;
  variables_config: Json | null;
  well_defaults: Json | null;
  dga_config: Json | null;
  updated_at: Date;
}

const TEMPLATE_COLUMNS = ['name', 'category', 'well_defaults', 'variables_config', 'dga_config'] as const;
const JSON_COLUMNS = ['well_defaults', 'variables_config', 'dga_config'] as const;

/** JSON columns go to the driver as text. */
function templateValues(input: Partial<Record<(typeof TEMPLATE_COLUMNS)[number], unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const k of JSON_COLUMNS) if (input[k] !== undefined) out[k] = JSON.stringify(input[k]);
  return out;
}

export class SchemaRepository {
  constructor(private readonly db: Db) {}

  async listTemplates(limit: number, offset: number): Promise<Page<TemplateRow>> {
    const [items, total] = await Promise.all([
      this.db.query<TemplateRow>('SELECT * FROM schema_templates ORDER BY id LIMIT $1 OFFSET $2', [limit, offset]),
      count(this.db, 'SELECT 1 FROM schema_templates', []),
    ]);
    return { items: items.rows, total };
  }

  async template(id: number): Promise<TemplateRow | undefined> {
    const { rows } = await this.db.query<TemplateRow>('SELECT * FROM schema_templates WHERE id = $1', [id]);
    return rows[0];
  }

  async templateNameTaken(name: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM schema_templates WHERE name = $1', [name]);
    return rows.length > 0;
  }

  async insertTemplate(input: Partial<Record<(typeof TEMPLATE_COLUMNS)[number], unknown>>): Promise<TemplateRow> {
    const { sql, params } = insertStatement('schema_templates', templateValues(input), TEMPLATE_COLUMNS);
    const { rows } = await this.db.query<TemplateRow>(sql, params);
    return rows[0]!;
  }

  /** Undefined when the input changes nothing. */
  async updateTemplate(id: number, input: Partial<Record<(typeof TEMPLATE_COLUMNS)[number], unknown>>): Promise<TemplateRow | undefined> {
    const stmt = updateStatement('schema_templates', id, templateValues(input), TEMPLATE_COLUMNS);
    if (!stmt) return undefined;
    const { rows } = await this.db.query<TemplateRow>(stmt.sql, stmt.params);
    return rows[0];
  }

  async deleteTemplate(id: number): Promise<void> {
    await this.db.query('DELETE FROM schema_templates WHERE id = $1', [id]);
  }

  /** Sets the template and/or the custom config of a point; a field left undefined keeps its value. */
  async upsertPointSchema(pointId: number, input: { template_id?: number | null; custom_config?: Json }): Promise<void> {
    await this.db.query(
      `INSERT INTO dynamic_schemas (point_id, template_id, custom_config) VALUES ($1, $2, $3)
       ON CONFLICT (point_id) DO UPDATE SET
         template_id = CASE WHEN $4 THEN EXCLUDED.template_id ELSE dynamic_schemas.template_id END,
         custom_config = CASE WHEN $5 THEN EXCLUDED.custom_config ELSE dynamic_schemas.custom_config END,
         updated_at = now()`,
      [
        pointId,
        input.template_id ?? null,
        JSON.stringify(input.custom_config ?? {}),
        input.template_id !== undefined,
        input.custom_config !== undefined,
      ],
    );
  }

  async pointSchemaSource(pointId: number): Promise<PointSchemaSource | undefined> {
    const { rows } = await this.db.query<PointSchemaSource>(
      `SELECT s.point_id, s.template_id, s.custom_config, t.variables_config, t.well_defaults, t.dga_config, s.updated_at
       FROM dynamic_schemas s LEFT JOIN schema_templates t ON t.id = s.template_id WHERE s.point_id = $1`,
      [pointId],
    );
    return rows[0];
  }

  /** `pointSchemaSource` of many points in one query; points without a schema row are absent. */
  async pointSchemaSources(pointIds: readonly number[]): Promise<PointSchemaSource[]> {
    if (pointIds.length === 0) return [];
    const { rows } = await this.db.query<PointSchemaSource>(
      `SELECT s.point_id, s.template_id, s.custom_config, t.variables_config, t.well_defaults, t.dga_config, s.updated_at
       FROM dynamic_schemas s LEFT JOIN schema_templates t ON t.id = s.template_id WHERE s.point_id = ANY($1::bigint[])`,
      [pointIds],
    );
    return rows;
  }
}
