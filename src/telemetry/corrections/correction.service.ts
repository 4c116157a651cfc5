/**
 * Corrections of stored readings with their audit trail. A correction changes only the corrected
 * state beside each reading (never the recorded value), and in the same transaction everything
 * derived from the readings: the rollups of the affected days of that point variable, and its latest
 * value; the latest-value cache is refreshed right after the commit. DGA slots read the effective
 * values at send time; receipted slots are flagged by the DGA side.
 */
import type { Db, Queryable } from '../../infra/db/index.js';
import { type Principal, requireStaff } from '../../auth/principal.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { lockRollups, rebuildRollupsIn } from '../query/rollup.repository.js';
import type { PointVisibility } from '../query/visibility.js';
import { validateCorrection, validateReason } from './correction.rules.js';
import { CorrectionRepository, type CorrectionRow, type NewCorrection } from './correction.repository.js';
import type { Correction, CorrectionBody, CorrectionQuery, RevertBody } from './correction.schemas.js';

export interface CorrectionServiceDeps {
  db: Db;
  visibility: PointVisibility;
  /** After each commit: the points whose latest values changed (LatestValuesService.onWritten). */
  onWritten(pointIds: readonly number[]): Promise<void>;
  clock?: Clock;
}

export class CorrectionService {
  private readonly repo: CorrectionRepository;
  private readonly clock: Clock;

  constructor(private readonly deps: CorrectionServiceDeps) {
    this.repo = new CorrectionRepository(deps.db);
    this.clock = deps.clock ?? systemClock;
  }

  /** Sets or invalidates one reading or a range of one variable. 409 when no stored reading matches. */
  async correct(actor: Principal, pointId: number, body: CorrectionBody): Promise<Correction> {
    await this.deps.visibility.assertVisible(actor, pointId);
    requireStaff(actor);
    const checked = validateCorrection(body);
    if (!checked.ok) throw new ValidationError(checked.message, checked.field);
    const plan = checked.value;
    const id = await this.deps.db.transaction(async (tx) => {
      await lockRollups(tx);
      const before = await this.repo.sample(tx, pointId, plan.variable, plan.from, plan.to);
      const n = await this.repo.mark(tx, pointId, plan.variable, plan.from, plan.to, plan.value, plan.action === 'invalidate');
      if (n === 0) {
        throw new ConflictError(
          'NO_READINGS_TO_CORRECT',
          `point ${pointId} has no stored reading of "${plan.variable}" ${plan.from.getTime() === plan.to.getTime() ? `at ${plan.from.toISOString()}` : `from ${plan.from.toISOString()} to ${plan.to.toISOString()}`}`,
          { field: plan.from.getTime() === plan.to.getTime() ? 'ts' : 'from' },
        );
      }
      const after = await this.repo.sample(tx, pointId, plan.variable, plan.from, plan.to);
      const correction: NewCorrection = {
        point_id: pointId, variable: plan.variable, from: plan.from, to: plan.to, action: plan.action, value: plan.value,
        reverts_id: null, reason: plan.reason, user_id: actor.userId,
      };
      const newId = await this.repo.insert(tx, correction, n, before, after, this.clock.now());
      await this.followDerived(tx, pointId, plan.variable, plan.from, plan.to);
      return newId;
    });
    await this.deps.onWritten([pointId]);
    return view((await this.repo.get(id))!);
  }

  /**
   * Undoes a correction by appending a revert: every reading of its range gets back the state the
   * remaining corrections give it (the newest covering one still in force, or the recorded value).
   */
  async revert(actor: Principal, pointId: number, correctionId: number, body: RevertBody): Promise<Correction> {
    await this.deps.visibility.assertVisible(actor, pointId);
    requireStaff(actor);
    const reason = validateReason(body.reason);
    if (!reason.ok) throw new ValidationError(reason.message, reason.field);
    const id = await this.deps.db.transaction(async (tx) => {
      await lockRollups(tx);
      const target = await this.repo.lockOne(tx, pointId, correctionId);
      if (!target) throw new NotFoundError('CORRECTION_NOT_FOUND', `point ${pointId} has no correction ${correctionId}`);
      if (target.action === 'revert') {
        throw new ConflictError('CORRECTION_IS_A_REVERT', `correction ${correctionId} is itself a revert; correct the readings again instead`);
      }
      if (target.reverted_by !== null) {
        throw new ConflictError('CORRECTION_ALREADY_REVERTED', `correction ${correctionId} was already reverted by correction ${target.reverted_by}`, {
          reverted_by: target.reverted_by,
        });
      }
      const { variable, ts_from: from, ts_to: to } = target;
      const before = await this.repo.sample(tx, pointId, variable, from, to);
      const n = await this.repo.recompute(tx, pointId, variable, from, to, correctionId);
      const after = await this.repo.sample(tx, pointId, variable, from, to);
      const revert: NewCorrection = {
        point_id: pointId, variable, from, to, action: 'revert', value: null, reverts_id: correctionId, reason: reason.value, user_id: actor.userId,
      };
      const newId = await this.repo.insert(tx, revert, n, before, after, this.clock.now());
      await this.followDerived(tx, pointId, variable, from, to);
      return newId;
    });
    await this.deps.onWritten([pointId]);
    return view((await this.repo.get(id))!);
  }

  /** The audit trail of a point, newest first: staff and the point's client users (read-only). */
  async list(actor: Principal, pointId: number, q: CorrectionQuery): Promise<{ items: Correction[]; total: number }> {
    await this.deps.visibility.assertVisible(actor, pointId);
    const { items, total } = await this.repo.list(pointId, { variable: q.variable }, q.limit, q.offset);
    return { items: items.map(view), total };
  }

  /** Rollups of the affected UTC days of the point variable, and its latest value. */
  private async followDerived(tx: Queryable, pointId: number, variable: string, from: Date, to: Date): Promise<void> {
    // `to` is inclusive, the rebuild's end exclusive: a reading at midnight belongs to the next day.
    await rebuildRollupsIn(tx, { from, to: new Date(to.getTime() + 1), pointIds: [pointId], variable });
    await this.repo.refreshLatest(tx, pointId, variable);
  }
}

function view(r: CorrectionRow): Correction {
  return {
    id: r.id,
    point_id: r.point_id,
    variable: r.variable,
    action: r.action,
    from: r.ts_from,
    to: r.ts_to,
    value: r.value,
    reverts_id: r.reverts_id,
    reverted_by: r.reverted_by,
    reason: r.reason,
    user: { id: r.user_id, email: r.user_email },
    created_at: r.created_at,
    readings: r.readings,
    before: r.before,
    after: r.after,
  };
}
