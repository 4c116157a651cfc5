import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Cache } from '../infra/cache/index.js';
import { cached, LocalCopies } from '../infra/cache/index.js';
import { nextTurn } from '../lib/event-loop.js';
import type { Page } from '../infra/db/sql.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff } from '../auth/principal.js';
import { deepMerge, type Json } from './deep-merge.js';
import { CACHE_NS, type RegistryEvents } from './events.js';
import type { PointService } from './point.service.js';
import type { PointSchema as PointSchemaSchema } from './registry.schemas.js';
import { SchemaRepository, type PointSchemaSource, type TemplateRow } from './schema.repository.js';
import { parseVariables, type PointVariables, describeVariables, type VariableDescription } from './variables.js';

export type { TemplateRow } from './schema.repository.js';
/** What the template routes accept (checked by TemplateBody) and what the demo set-up writes. */
export interface TemplateInput {
  name?: string;
  category?: string;
  well_defaults?: Json;
  variables_config?: Json;
  dga_config?: Json;
}
/** merged_config = deepMerge(template.variables_config, custom_config): what the processor applies. */
export type PointSchema = Static<typeof PointSchemaSchema> & { merged_config: Json };

const CONFIG_TTL_SECONDS = 300;
/**
 * How long a process uses its parsed copy of a point's variables without asking the cache: every registry
 * change is announced to every process and drops the copies (LocalCopies); the time only bounds a lost
 * announcement. The processor asks for the variables of every point of every batch.
 */
const VARIABLES_LOCAL_TRUST_MS = 1000;

interface ParsedVariables {
  text: string;
  vars: PointVariables;
}

export class SchemaService {
  private readonly repo: SchemaRepository;
  /** Parsed variables per point (`vars:<id>` in the point-config namespace), kept while their text is unchanged. */
  private readonly copies: LocalCopies<ParsedVariables>;
  /** Points whose variables text is to be loaded from the database, gathered until the next turn (one query). */
  private gathering: { ids: Set<number>; texts: Promise<Map<number, string>> } | undefined;

  constructor(private readonly deps: { db: Db; cache: Cache; events: RegistryEvents; points: PointService }) {
    this.repo = new SchemaRepository(deps.db);
    this.copies = new LocalCopies<ParsedVariables>(
      deps.cache,
      (ns) => ns === CACHE_NS.pointConfig,
      VARIABLES_LOCAL_TRUST_MS,
      cached,
      (text) => {
        const { merged_config, well_defaults } = JSON.parse(text) as { merged_config: Json; well_defaults: Json };
        return { text, vars: parseVariables(merged_config, well_defaults) };
      },
      (copy, text) => copy.text === text,
    );
  }

  async listTemplates(actor: Principal, limit: number, offset: number): Promise<Page<TemplateRow>> {
    requireStaff(actor);
    return this.repo.listTemplates(limit, offset);
  }

  async getTemplate(actor: Principal, id: number): Promise<TemplateRow> {
    requireStaff(actor);
    const row = await this.repo.template(id);
    if (!row) throw new NotFoundError('SCHEMA_TEMPLATE_NOT_FOUND', `schema template ${id} does not exist`);
    return row;
  }

  async createTemplate(actor: Principal, input: TemplateInput): Promise<TemplateRow> {
    requireStaff(actor);
    if (!input.name?.trim()) throw new ValidationError('name must not be empty', 'name');
    await this.ensureNameFree(input.name);
    return this.repo.insertTemplate(input);
  }

  async updateTemplate(actor: Principal, id: number, input: TemplateInput): Promise<TemplateRow> {
    const current = await this.getTemplate(actor, id);
    if (input.name !== undefined && input.name !== current.name) await this.ensureNameFree(input.name);
    const row = await this.repo.updateTemplate(id, input);
    if (!row) return current;
    await this.deps.events.registryChanged();
    return row;
  }

  async removeTemplate(actor: Principal, id: number): Promise<void> {
    await this.getTemplate(actor, id);
    await this.repo.deleteTemplate(id);
    await this.deps.events.registryChanged();
  }

  async getPointSchema(actor: Principal, pointId: number): Promise<PointSchema> {
    await this.deps.points.get(actor, pointId); // tenant check
    return pointSchemaOf(await this.source(pointId));
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
    await this.repo.upsertPointSchema(pointId, input);
    await this.deps.events.registryChanged();
    return pointSchemaOf(await this.source(pointId));
  }

  /** The merged config the processor applies, cached until any registry change. No tenant check: internal use. */
  async mergedConfig(pointId: number): Promise<PointSchema> {
    const text = await cached(this.deps.cache, CACHE_NS.pointConfig, String(pointId), CONFIG_TTL_SECONDS, async () =>
      JSON.stringify(pointSchemaOf(await this.source(pointId))),
    );
    return JSON.parse(text) as PointSchema;
  }

  /** The point's variables with their roles and stored units, for a caller who may see the point. */
  async describeVariables(actor: Principal, pointId: number): Promise<VariableDescription[]> {
    await this.deps.points.get(actor, pointId); // tenant check
    return describeVariables(await this.variables(pointId));
  }

  /**
   * The point's variables, typed (see variables.ts), cached like mergedConfig, from this process's parsed copy
   * while no registry change was announced. No tenant check: internal use. A point without a schema row has
   * no variables.
   */
  async variables(pointId: number): Promise<PointVariables> {
    const copy = await this.copies.get(CACHE_NS.pointConfig, `vars:${pointId}`, CONFIG_TTL_SECONDS, () => this.variablesText(pointId));
    return copy.vars;
  }

  /**
   * `variables` of the points of a batch. The points neither copied here nor cached are loaded with one
   * query (not one per point: after a start every point of a batch misses, and on the embedded database
   * each query holds up the whole process).
   */
  async variablesOf(pointIds: readonly number[]): Promise<Map<number, PointVariables>> {
    const ids = [...new Set(pointIds)];
    const vars = await Promise.all(ids.map((id) => this.variables(id)));
    return new Map(ids.map((id, i) => [id, vars[i]!]));
  }

  /** The variables text of a point from the database; the points asked for in one turn are read with one query. */
  private variablesText(pointId: number): Promise<string> {
    let g = this.gathering;
    if (!g) {
      const ids = new Set<number>();
      const texts = (async () => {
        await nextTurn(); // the cache misses of one batch arrive together: let them all join
        this.gathering = undefined;
        const sources = new Map((await this.repo.pointSchemaSources([...ids])).map((s) => [Number(s.point_id), s]));
        return new Map([...ids].map((id) => [id, variablesText(sources.get(id))]));
      })();
      g = this.gathering = { ids, texts };
    }
    g.ids.add(pointId);
    return g.texts.then((texts) => texts.get(pointId)!);
  }

  /**
   * `variables` of many points from one database query (not the cache: a planning pass asks for
   * thousands at once, and one query is cheaper than a cache round trip per point). Points without a
   * schema row have no variables.
   */
  async variablesMany(pointIds: readonly number[]): Promise<Map<number, PointVariables>> {
    const sources = new Map((await this.repo.pointSchemaSources(pointIds)).map((s) => [Number(s.point_id), s]));
    const out = new Map<number, PointVariables>();
    for (const id of pointIds) {
      const s = sources.get(id);
      const merged = s ? deepMerge(s.variables_config ?? {}, s.custom_config) : {};
      out.set(id, parseVariables(merged as Json, (s?.well_defaults ?? {}) as Json));
    }
    return out;
  }

  private async source(pointId: number): Promise<PointSchemaSource> {
    const s = await this.repo.pointSchemaSource(pointId);
    if (!s) throw new NotFoundError('POINT_NOT_FOUND', `point ${pointId} does not exist`);
    return s;
  }

  private async ensureNameFree(name: string) {
    if (await this.repo.templateNameTaken(name)) {
      throw new ConflictError('SCHEMA_TEMPLATE_NAME_TAKEN', `a schema template named "${name}" already exists`);
    }
  }
}

function pointSchemaOf(s: PointSchemaSource): PointSchema {
  return {
    point_id: s.point_id,
    template_id: s.template_id,
    custom_config: s.custom_config,
    merged_config: deepMerge(s.variables_config ?? {}, s.custom_config),
    dga_config: s.dga_config ?? {},
    updated_at: s.updated_at,
  };
}

/** What the cache keeps of a point's variables: the merged config and the well defaults (none without a schema row). */
function variablesText(s: PointSchemaSource | undefined): string {
  const merged = s ? deepMerge(s.variables_config ?? {}, s.custom_config) : {};
  return JSON.stringify({ merged_config: merged, well_defaults: s?.well_defaults ?? {} });
}
