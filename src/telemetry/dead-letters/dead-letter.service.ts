import type { Db } from '../../infra/db/index.js';
import type { Clock } from '../../lib/clock.js';
import { DAY_MS } from '../../lib/time.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import { ValidationError } from '../../errors.js';
import type { PointService } from '../../registry/point.service.js';
import { parseRange } from '../query/time.js';
import { DeadLetterRepository, type DeadLetterFilter } from './dead-letter.repository.js';
import type { DeadLetter } from './dead-letter.schemas.js';

/** Default window of a listing (received_at), and the widest one may ask for. */
export const DEAD_LETTER_DEFAULT_SPAN_MS = 30 * DAY_MS;
export const DEAD_LETTER_MAX_SPAN_MS = 366 * DAY_MS;

export interface DeadLetterQuery {
  reason?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

/**
 * `reason`: the code or the reason text as a whole (`unknown_variable`), or a prefix when it ends
 * with `*` (`value *`); nothing else in it is a wildcard.
 */
export function reasonFilter(reason: string | undefined): DeadLetterFilter['reason'] {
  if (reason === undefined) return undefined;
  return reason.endsWith('*') ? { text: reason.slice(0, -1), prefix: true } : { text: reason, prefix: false };
}

/** Rejected readings with their reason, so whoever sends data can see why a reading did not arrive. */
export class DeadLetterService {
  private readonly repo: DeadLetterRepository;

  constructor(private readonly deps: { db: Db; points: PointService; clock: Clock; timezone: string }) {
    this.repo = new DeadLetterRepository(deps.db);
  }

  /** A point's dead letters: whoever can see the point (404 otherwise). */
  async forPoint(actor: Principal, pointId: number, q: DeadLetterQuery): Promise<{ items: DeadLetter[]; total: number }> {
    await this.deps.points.get(actor, pointId);
    return this.repo.list({ ...this.filter(q), pointId });
  }

  /** Every dead letter (staff), optionally of one point. */
  async list(actor: Principal, q: DeadLetterQuery & { point_id?: number }): Promise<{ items: DeadLetter[]; total: number }> {
    requireStaff(actor);
    return this.repo.list({ ...this.filter(q), pointId: q.point_id });
  }

  private filter(q: DeadLetterQuery): Omit<DeadLetterFilter, 'pointId'> {
    const { from, to } = parseRange(q, this.deps.timezone, DEAD_LETTER_DEFAULT_SPAN_MS, this.deps.clock.now());
    if (to.getTime() - from.getTime() > DEAD_LETTER_MAX_SPAN_MS) {
      throw new ValidationError(`from and to may be at most ${DEAD_LETTER_MAX_SPAN_MS / DAY_MS} days apart`, 'from');
    }
    return { from, to, reason: reasonFilter(q.reason), limit: q.limit, offset: q.offset };
  }
}
