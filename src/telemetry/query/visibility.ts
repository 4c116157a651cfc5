import type { Db } from '../../infra/db/index.js';
import { cached, LocalCopies, type Cache } from '../../infra/cache/index.js';
import { type Principal, tenantOf } from '../../auth/principal.js';
import { NotFoundError } from '../../errors.js';
import { CACHE_NS } from '../../registry/events.js';
import { VisibilityRepository } from './visibility.repository.js';

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
  private readonly copies: LocalCopies<VisiblePoints>;
  private readonly repo: VisibilityRepository;

  constructor(deps: { db: Db; cache: Cache }) {
    this.repo = new VisibilityRepository(deps.db);
    this.copies = new LocalCopies(deps.cache, (ns) => ns === CACHE_NS.activePoints, 1000, cached, (text) => {
      const ids = text === '' ? [] : text.split(',').map(Number);
      return { text, ids, set: new Set(ids) };
    }, (copy, text) => copy.text === text);
  }

  async visible(actor: Principal): Promise<VisiblePoints> {
    const tenant = tenantOf(actor);
    return this.copies.get(CACHE_NS.activePoints, `visible-ids|c${tenant ?? '*'}`, 300, () => this.repo.pointIdList(tenant));
  }

  /** 404 (not 403) for a point the caller may not see: its existence is not disclosed. */
  async assertVisible(actor: Principal, pointId: number): Promise<void> {
    if (!(await this.visible(actor)).set.has(pointId)) throw new NotFoundError('POINT_NOT_FOUND', `point ${pointId} does not exist`);
  }
}
