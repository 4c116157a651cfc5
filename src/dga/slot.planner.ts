/**
 * Which slots each reporting point owes and has not planned yet: inserts them as pending submissions.
 * A slot is owed from the point's start date (or its first reading, if later) up to the last reading
 * every required series has, within the back-fill limit of its standard.
 */
import type { Logger } from '../infra/logger.js';
import type { Clock } from '../lib/clock.js';
import { DgaPointRepository, seriesKey, type DgaPointRow, type TimeRange } from './dga-point.repository.js';
import { preparePoint, type PointConfigSources } from './point-config.js';
import { needsWaterTable } from './slot-reading.js';
import { dueSlots } from './slots.js';
import type { SubmissionRepository } from './submission.repository.js';
import type { DgaPointConfig, DgaStandard } from './types.js';

/** Points planned together: one query each for their reading ranges and planned ranges. */
const PLAN_GROUP = 500;

/** Most slots looked for in one range of one point per pass; the next pass plans the rest. */
const SLOTS_PER_PASS = 5000;

export interface SlotPlannerDeps {
  points: DgaPointRepository;
  submissions: SubmissionRepository;
  config: PointConfigSources;
  logger: Logger;
  clock: Clock;
  /** Oldest slot age planned, per standard. */
  maxBackfill: Record<DgaStandard, number>;
}

export class SlotPlanner {
  /** Last problem logged per point, so a misconfigured point is logged once, not every pass. */
  private readonly loggedProblems = new Map<number, string>();

  constructor(private readonly deps: SlotPlannerDeps) {}

  /**
   * Creates pending rows for the slots each point owes now; returns how many. Points go in groups: one
   * query for their reading ranges, one for their planned ranges, then one insert for the group (a
   * pass over 10,000 points is a few dozen queries, not 60,000). `stopped` is asked between
   * points so a stopping reporter does not finish a long pass.
   */
  async planAll(stopped: () => boolean = () => false): Promise<number> {
    let planned = 0;
    const points = await this.deps.points.sendingPoints();
    for (let i = 0; i < points.length && !stopped(); i += PLAN_GROUP) {
      try {
        planned += await this.planPoints(points.slice(i, i + PLAN_GROUP), stopped);
      } catch (err) {
        this.deps.logger.error({ err, points: points.length, from: points[i]!.id }, 'planning DGA slots failed');
      }
    }
    return planned;
  }

  /** Plans the given points together (planAll does it PLAN_GROUP at a time); returns the rows created. */
  async planPoints(points: readonly DgaPointRow[], stopped: () => boolean = () => false): Promise<number> {
    const ready: { point: DgaPointRow; config: DgaPointConfig; required: string[] }[] = [];
    // Prepared together, with the group's variables read in one query when the sources can.
    const sources = await this.groupSources(points);
    const prepared = await Promise.all(points.map((point) => preparePoint(point, sources)));
    for (const [i, point] of points.entries()) {
      const p = prepared[i]!;
      if (!p.ok) {
        this.logProblem(point, p.problems);
        continue;
      }
      this.loggedProblems.delete(point.id);
      const { config, vars } = p;
      const required = [vars.totalizer, needsWaterTable(config.type, config.standard) ? vars.level : null].filter(
        (v): v is string => v !== null,
      );
      ready.push({ point, config, required });
    }
    if (ready.length === 0) return 0;
    const [ranges, plannedRanges] = await Promise.all([
      this.deps.points.readingRanges(ready.flatMap((r) => r.required.map((variable) => ({ pointId: r.point.id, variable })))),
      this.deps.submissions.plannedRanges(ready.map((r) => r.point.id)),
    ]);
    const owed: { pointId: number; standard: DgaStandard; slots: Date[] }[] = [];
    for (const { point, config, required } of ready) {
      if (stopped()) break;
      const series = required.map((v) => ranges.get(seriesKey(point.id, v)) ?? { first: null, last: null });
      const slots = this.owedSlots(config, series, plannedRanges.get(point.id) ?? { first: null, last: null });
      if (slots.length > 0) owed.push({ pointId: point.id, standard: config.standard, slots });
    }
    const now = this.deps.clock.now();
    try {
      return await this.deps.submissions.planMany(owed, now);
    } catch (err) {
      // One statement for the group failed: plan point by point so one bad point does not hold up the rest.
      this.deps.logger.warn({ err, points: owed.length }, 'planning DGA slots of a group failed; planning point by point');
    }
    let planned = 0;
    for (const { pointId, standard, slots } of owed) {
      try {
        planned += await this.deps.submissions.plan(pointId, standard, slots, now);
      } catch (err) {
        this.deps.logger.error({ err, pointId }, 'planning DGA slots failed');
      }
    }
    return planned;
  }

  /** The configuration sources of a group: its variables read at once, or one by one if that fails. */
  private async groupSources(points: readonly DgaPointRow[]): Promise<PointConfigSources> {
    const base = this.deps.config;
    if (!base.variablesMany || points.length < 2) return base;
    try {
      const vars = await base.variablesMany(points.map((p) => p.id));
      return { tz: base.tz, password: (enc) => base.password(enc), variables: async (id) => vars.get(id) ?? base.variables(id) };
    } catch (err) {
      this.deps.logger.warn({ err, points: points.length }, 'reading the variables of a group of DGA points failed; reading them one by one');
      return base;
    }
  }

  /** The slots a point owes and has not planned yet, given its required series and its planned range. */
  private owedSlots(config: DgaPointConfig, ranges: TimeRange[], planned: TimeRange): Date[] {
    if (ranges.length === 0 || ranges.some((r) => r.first === null || r.last === null)) return [];
    // A slot needs every required series: from the latest of their first readings to the earliest of their last.
    const dataFrom = Math.max(...ranges.map((r) => r.first!.getTime()));
    const dataUntil = new Date(Math.min(...ranges.map((r) => r.last!.getTime())));
    const startDate = new Date(Math.max(config.startDate.getTime(), dataFrom));
    const now = this.deps.clock.now();
    const common = {
      startDate, now, maxBackfill: this.deps.maxBackfill[config.standard], tz: this.deps.config.tz, limit: SLOTS_PER_PASS,
    };
    // Slots after the planned range, and before it when older data arrived after planning began.
    const slots = dueSlots(config.standard, { ...common, lastReceiptSlot: planned.last, dataUntil });
    if (planned.first && startDate < planned.first) {
      const before = new Date(Math.min(dataUntil.getTime(), planned.first.getTime() - 1));
      slots.unshift(...dueSlots(config.standard, { ...common, dataUntil: before }));
    }
    return slots;
  }

  private logProblem(point: DgaPointRow, problems: string[]): void {
    const text = problems.join('; ');
    if (this.loggedProblems.get(point.id) === text) return;
    this.loggedProblems.set(point.id, text);
    this.deps.logger.warn({ pointId: point.id, problems }, 'point has DGA sending on but cannot report');
  }
}
