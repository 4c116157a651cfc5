import type { Db } from '../../infra/db/index.js';
import type { Cache } from '../../infra/cache/index.js';
import { cached } from '../../infra/cache/index.js';
import { type Principal, tenantOf } from '../../auth/principal.js';
import { NotFoundError } from '../../errors.js';
import { CACHE_NS } from '../../registry/events.js';
import { LocalTrust } from './local-trust.js';

export interface VisiblePoints {
  /** The cached text the ids were parsed from (identity tells whether anything changed). */
  text: string;
  ids: number[];
  set: Set<number>;
}

/**
 * Ids of the points a caller may see (all for staff, the client's for a client user), cached with
 * the registry: the entry lives in the active-points namespace, which every registry change
 * invalidates in every process. Saves the tenant check a database round trip on hot read paths.
 */
export class PointVisibility {
  private readonly parsed = new Map<string, VisiblePoints>();
  private readonly trust: LocalTrust;

  constructor(private readonly deps: { db: Db; cache: Cache }) {
    this.trust = new LocalTrust(deps.cache, (ns) => ns === CACHE_NS.activePoints, 1000);
  }

  async visible(actor: Principal): Promise<VisiblePoints> {
    const tenant = tenantOf(actor);
    const field = `visible-ids|c${tenant ?? '*'}`;
    const memo0 = this.parsed.get(field);
    if (memo0 && this.trust.trusted(CACHE_NS.activePoints, field)) return memo0;
    const epoch = this.trust.begin(CACHE_NS.activePoints);
    const text = await cached(this.deps.cache, CACHE_NS.activePoints, field, 300, async () => {
      const { rows } = await this.deps.db.query<{ ids: string | null }>(
        `SELECT string_agg(p.id::text, ',' ORDER BY p.id) AS ids
         FROM catchment_points p JOIN projects pr ON pr.id = p.project_id
         WHERE $1::bigint IS NULL OR pr.client_id = $1`,
        [tenant],
      );
      return rows[0]?.ids ?? '';
    });
    this.trust.grant(CACHE_NS.activePoints, field, epoch);
    const memo = this.parsed.get(field);
    if (memo && memo.text === text) return memo;
    const ids = text === '' ? [] : text.split(',').map(Number);
    const v = { text, ids, set: new Set(ids) };
    this.parsed.set(field, v);
    return v;
  }

  /** 404 (not 403) for a point the caller may not see: its existence is not disclosed. */
  async assertVisible(actor: Principal, pointId: number): Promise<void> {
    if (!(await this.visible(actor)).set.has(pointId)) throw new NotFoundError('POINT_NOT_FOUND', `point ${pointId} does not exist`);
  }
}
