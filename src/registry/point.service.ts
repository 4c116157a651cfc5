import type { Static } from '@sinclair/typebox';
import type { Db } from '../infra/db/index.js';
import type { Cache } from '../infra/cache/index.js';
import { cached } from '../infra/cache/index.js';
import type { SecretBox } from '../infra/secrets.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { validatePointDga } from '../dga/validation.js';
import { normalizeDgaStandard } from '../dga/types.js';
import { validateCoordinates } from './coordinates.js';
import { normalizeRut } from './rut.js';
import { CACHE_NS, type RegistryEvents } from './events.js';
import type { Page } from '../infra/db/sql.js';
import { UserRepository } from '../auth/user.repository.js';
import { type PointFilter, type PointRow, PointRepository } from './point.repository.js';
import { ProjectRepository } from './project.repository.js';
import type { PointPatch } from './registry.schemas.js';

/** The foreign key (ON DELETE RESTRICT) by which a point with DGA receipts cannot be deleted. */
const RECEIPTS_KEEP_THEIR_POINT = 'dga_submissions_point_id_fkey';

export const ACTIVE_POINTS_TTL_SECONDS = 300;

/** A point as the API writes it (POST and PATCH bodies). */
export type PointInput = Static<typeof PointPatch>;

export class PointService {
  private readonly repo: PointRepository;
  private readonly projects: ProjectRepository;
  private readonly users: UserRepository;
  private readonly encoded = new Map<string, { text: string; bytes: Buffer }>();

  constructor(private readonly deps: { db: Db; cache: Cache; secrets: SecretBox; events: RegistryEvents }) {
    this.repo = new PointRepository(deps.db);
    this.projects = new ProjectRepository(deps.db);
    this.users = new UserRepository(deps.db);
  }

  list(actor: Principal, filter: Omit<PointFilter, 'tenant'>, limit: number, offset: number): Promise<Page<PointRow>> {
    return this.repo.list({ ...filter, tenant: tenantOf(actor) }, limit, offset);
  }

  near(actor: Principal, q: { lat: number; lon: number; radius_m: number; limit: number }) {
    validateCoordinates(q.lat, q.lon);
    return this.repo.near({ tenant: tenantOf(actor) }, q.lat, q.lon, q.radius_m, q.limit);
  }

  async get(actor: Principal, id: number): Promise<PointRow> {
    const row = await this.repo.get(id);
    const tenant = tenantOf(actor);
    if (!row || (tenant !== null && row.client_id !== tenant)) {
      throw new NotFoundError('POINT_NOT_FOUND', `point ${id} does not exist`);
    }
    return row;
  }

  /**
   * Active telemetry points (all, by frequency, by provider) as the JSON text
   * `{"points":[…],"total":N,"filters":{…}}`, cached per tenant and filter for 300 s: collectors and
   * dashboards poll it, so it is served without building objects.
   */
  async activeJson(actor: Principal, f: { frequency?: number; provider?: string }): Promise<Buffer> {
    const tenant = tenantOf(actor);
    const field = `c${tenant ?? '*'}|f${f.frequency ?? '*'}|p${f.provider ?? '*'}`;
    const text = await cached(this.deps.cache, CACHE_NS.activePoints, field, ACTIVE_POINTS_TTL_SECONDS, async () => {
      const r = await this.repo.activeJson({ tenant, ...f });
      const filters = JSON.stringify({ frequency: f.frequency ?? null, provider: f.provider ?? null });
      return `{"points":${r.json},"total":${r.total},"filters":${filters}}`;
    });
    // Encoding megabytes of text on every request costs more than the rest of the request: the
    // cache hands back the same string object while it is current, so its bytes are kept beside it.
    const memo = this.encoded.get(field);
    if (memo && memo.text === text) return memo.bytes;
    const bytes = Buffer.from(text);
    this.encoded.set(field, { text, bytes });
    if (this.encoded.size > 64) this.encoded.delete(this.encoded.keys().next().value as string);
    return bytes;
  }

  async create(actor: Principal, input: PointInput): Promise<PointRow> {
    requireStaff(actor);
    if (input.project_id === undefined) throw new ValidationError('project_id is required', 'project_id');
    if (!input.title?.trim()) throw new ValidationError('title must not be empty', 'title');
    const values = await this.prepare(input, undefined);
    const id = await this.repo.insert(values, input.viewer_user_ids);
    await this.deps.events.registryChanged();
    return (await this.repo.get(id))!;
  }

  async update(actor: Principal, id: number, input: PointInput): Promise<PointRow> {
    requireStaff(actor);
    const current = await this.get(actor, id);
    const values = await this.prepare(input, current);
    await this.repo.update(id, values, input.viewer_user_ids);
    await this.deps.events.registryChanged();
    return (await this.repo.get(id))!;
  }

  /**
   * Deletes a point and its queue of unsent DGA slots. Refused while the point has DGA receipts: they are
   * the record of what was reported and outlive any registry change (the database enforces it); such a
   * point is archived instead (telemetry and DGA reporting switched off).
   */
  async remove(actor: Principal, id: number): Promise<void> {
    requireStaff(actor);
    await this.get(actor, id);
    try {
      await this.repo.delete(id);
    } catch (err) {
      if ((err as { constraint?: string }).constraint === RECEIPTS_KEEP_THEIR_POINT) {
        throw new ConflictError(
          'POINT_HAS_DGA_RECEIPTS',
          `point ${id} has DGA receipts, which are kept for good; archive it instead: PATCH /points/${id} {"is_telemetry_active": false, "dga_send": false}`,
        );
      }
      throw err;
    }
    await this.deps.events.registryChanged();
  }

  /**
   * A member of a DGA work (dga_work_point_id) reports through the work's point: that point exists, belongs
   * to the same client and is no member itself; the member does not send on its own and has no members.
   */
  private async checkWork(merged: Record<string, unknown>, current: PointRow | undefined): Promise<void> {
    const headId = merged.dga_work_point_id as number | null | undefined;
    if (headId === null || headId === undefined) return;
    const field = 'dga_work_point_id';
    if (current && headId === current.id) throw new ValidationError(`${field}: a point cannot be a member of its own work`, field);
    const head = await this.repo.get(headId);
    const project = await this.projects.get(merged.project_id as number);
    if (!head || !project || head.client_id !== project.client_id) {
      throw new ValidationError(`${field}: point ${headId} does not exist in this point's client`, field);
    }
    if (head.dga_work_point_id !== null) {
      throw new ValidationError(`${field}: point ${headId} is itself a member of the work of point ${head.dga_work_point_id}`, field);
    }
    if (merged.dga_send) throw new ValidationError(`${field}: a member of a work reports through it; dga_send must be false`, field);
    if (current && (await this.repo.workMembers(current.id)).length > 0) {
      throw new ValidationError(`${field}: point ${current.id} is the DGA work of other points; it cannot join another`, field);
    }
  }

  /** Validates the point as it will be after the change and turns secrets into ciphertext. */
  private async prepare(input: PointInput, current: PointRow | undefined): Promise<Record<string, unknown>> {
    const merged = { ...(current ?? {}), ...stripUndefined(input) };
    const { provider_token, dga_password, viewer_user_ids, ...rest } = input;
    const values: Record<string, unknown> = { ...rest };

    validateCoordinates(merged.latitude as number | null | undefined, merged.longitude as number | null | undefined);
    if (merged.is_telemetry_active && !merged.provider) {
      throw new ValidationError('provider is required when is_telemetry_active is true', 'provider');
    }
    const hasPassword = dga_password ? true : dga_password === null ? false : Boolean(current?.has_dga_password);
    // With sending on, everything DGA needs must be there; with it off, only what this request writes is checked.
    const problems = validatePointDga(merged, { hasPassword }).filter((e) => merged.dga_send || e.field in input);
    if (problems.length > 0) {
      throw new ValidationError(problems.map((e) => `${e.field}: ${e.message}`).join('; '), problems[0]!.field, { errors: problems });
    }
    if (input.dga_standard) values.dga_standard = normalizeDgaStandard(input.dga_standard);
    for (const field of ['dga_informant_rut', 'dga_company_rut'] as const) {
      const v = input[field];
      if (v) values[field] = normalizeRut(v);
    }
    if (input.project_id !== undefined && !(await this.projects.exists(input.project_id))) {
      throw new ValidationError(`project_id: project ${input.project_id} does not exist`, 'project_id');
    }
    await this.checkWork(merged, current);
    if (input.owner_user_id && !(await this.users.exists(input.owner_user_id))) {
      throw new ValidationError(`owner_user_id: user ${input.owner_user_id} does not exist`, 'owner_user_id');
    }
    for (const uid of viewer_user_ids ?? []) {
      if (!(await this.users.exists(uid))) throw new ValidationError(`viewer_user_ids: user ${uid} does not exist`, 'viewer_user_ids');
    }
    if (provider_token !== undefined) {
      values.provider_token_enc = provider_token === null ? null : this.deps.secrets.encrypt(provider_token);
    }
    if (dga_password !== undefined) {
      values.dga_password_enc = dga_password === null ? null : this.deps.secrets.encrypt(dga_password);
    }
    return values;
  }

}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
