import type { Db } from '../infra/db/index.js';
import type { Cache } from '../infra/cache/index.js';
import { cached } from '../infra/cache/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { deepMerge, type Json } from './deep-merge.js';
import { CACHE_NS, type RegistryEvents } from './events.js';
import { count, insertStatement, type Page, updateStatement } from './sql.js';
import type { PointService } from './point.service.js';

export interface TemplateRow {
  id: number;
  name: string;
  category: string;
  well_defaults: Json;
  variables_config: Json;
  dga_config: Json;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateInput {
  name?: string;
  category?: string;
  well_defaults?: Json;
  variables_config?: Json;
  dga_config?: Json;
}

export interface PointSchema {
  point_id: number;
  template_id: number | null;
  custom_config: Json;
  /** deepMerge(template.variables_config, custom_config): what the processor applies. */
  merged_config: Json;
  dga_config: Json;
  updated_at: Date;
}

const COLUMNS = ['name', 'category', 'well_defaults', 'variables_config', 'dga_config'] as const;

export class SchemaService {
  constructor(private readonly deps: { db: Db; cache: Cache; events: RegistryEvents; points: PointService }) {}

  async listTemplates(actor: Principal, limit: number, offset: number): Promise<Page<TemplateRow>> {
    requireStaff(actor);
    const [items, total] = await Promise.all([
      this.deps.db.query<TemplateRow>('SELECT * FROM schema_templates ORDER BY id LIMIT $1 OFFSET $2', [limit, offset]),
      count(this.deps.db, 'SELECT 1 FROM schema_templates', []),
    ]);
    return { items: items.rows, total };
  }

  async getTemplate(actor: Principal, id: number): Promise<TemplateRow> {
    requireStaff(actor);
    const { rows } = await this.deps.db.query<TemplateRow>('SELECT * FROM schema_templates WHERE id = $1', [id]);
    if (!rows[0]) throw new NotFoundError('SCHEMA_TEMPLATE_NOT_FOUND', `schema template ${id} does not exist`);
    return rows[0];
  }

  async createTemplate(actor: Principal, input: TemplateInput): Promise<TemplateRow> {
    requireStaff(actor);
    if (!input.name?.trim()) throw new ValidationError('name must not be empty', 'name');
    await this.ensureNameFree(input.name);
    const { sql, params } = insertStatement('schema_templates', jsonValues(input), COLUMNS);
    const { rows } = await this.deps.db.query<TemplateRow>(sql, params);
    return rows[0]!;
  }

  async updateTemplate(actor: Principal, id: number, input: TemplateInput): Promise<TemplateRow> {
    const current = await this.getTemplate(actor, id);
    if (input.name !== undefined && input.name !== current.name) await this.ensureNameFree(input.name);
    const stmt = updateStatement('schema_templates', id, jsonValues(input), COLUMNS);
    if (!stmt) return current;
    const { rows } = await this.deps.db.query<TemplateRow>(stmt.sql, stmt.params);
    await this.deps.events.registryChanged();
    return rows[0]!;
  }

  async removeTemplate(actor: Principal, id: number): Promise<void> {
    await this.getTemplate(actor, id);
    await this.deps.db.query('DELETE FROM schema_templates WHERE id = $1', [id]);
    await this.deps.events.registryChanged();
  }

  async getPointSchema(actor: Principal, pointId: number): Promise<PointSchema> {
    await this.deps.points.get(actor, pointId); // tenant check
    return this.loadPointSchema(pointId);
  }

  async setPointSchema(
    actor: Principal,
    pointId: number,
    input: { template_id?: number | null; custom_config?: Json },
  ): Promise<PointSchema> {
    requireStaff(actor);
    await this.deps.points.get(actor, pointId);
    if (input.template_id) await this.getTemplate(actor, input.template_id).catch(() => {
      throw new ValidationError(`template_id ${input.template_id} does not exist`, 'template_id');
    });
    if (input.custom_config !== undefined && (typeof input.custom_config !== 'object' || Array.isArray(input.custom_config) || input.custom_config === null)) {
      throw new ValidationError('custom_config must be an object keyed by variable', 'custom_config');
    }
    await this.deps.db.query(
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
    await this.deps.events.registryChanged();
    return this.loadPointSchema(pointId);
  }

  /** The merged config the processor applies, cached until any registry change. No tenant check: internal use. */
  async mergedConfig(pointId: number): Promise<PointSchema> {
    const text = await cached(this.deps.cache, CACHE_NS.pointConfig, String(pointId), 300, async () =>
      JSON.stringify(await this.loadPointSchema(pointId)),
    );
    return JSON.parse(text) as PointSchema;
  }

  private async loadPointSchema(pointId: number): Promise<PointSchema> {
    const { rows } = await this.deps.db.query<{
      point_id: number;
      template_id: number | null;
      custom_config: Json;
      variables_config: Json | null;
      dga_config: Json | null;
      updated_at: Date;
    }>(
      `SELECT s.point_id, s.template_id, s.custom_config, t.variables_config, t.dga_config, s.updated_at
       FROM dynamic_schemas s LEFT JOIN schema_templates t ON t.id = s.template_id WHERE s.point_id = $1`,
      [pointId],
    );
    const r = rows[0];
    if (!r) throw new NotFoundError('POINT_NOT_FOUND', `point ${pointId} does not exist`);
    return {
      point_id: r.point_id,
      template_id: r.template_id,
      custom_config: r.custom_config,
      merged_config: deepMerge(r.variables_config ?? {}, r.custom_config),
      dga_config: r.dga_config ?? {},
      updated_at: r.updated_at,
    };
  }

  private async ensureNameFree(name: string) {
    const { rows } = await this.deps.db.query('SELECT 1 FROM schema_templates WHERE name = $1', [name]);
    if (rows.length > 0) throw new ConflictError('SCHEMA_TEMPLATE_NAME_TAKEN', `a schema template named "${name}" already exists`);
  }
}

function jsonValues(input: TemplateInput): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const k of ['well_defaults', 'variables_config', 'dga_config'] as const) {
    if (input[k] !== undefined) out[k] = JSON.stringify(input[k]);
  }
  return out;
}
