import type { Db } from '../../infra/db/index.js';
import type { Principal } from '../../auth/principal.js';
import type { PointService } from '../../registry/point.service.js';
import type { SchemaService } from '../../registry/schema.service.js';
import { ValidationError } from '../../errors.js';
import { counterLimitsOf, flowOf, totalizerOf } from '../../registry/variables.js';
import {
  averageFlowOver, type CounterBucket, type PeriodKind, periodsBetween, readingsOf,
  volumeByPeriod, wholeDays,
} from './consumption.js';
import { ConsumptionRepository } from './consumption.repository.js';
import { parseRange, queryBounds } from './time.js';
import { round } from '../../lib/round.js';
import { DAY_MS, HOUR_MS } from '../../lib/time.js';
import type { Clock } from '../../lib/clock.js';

export interface ConsumptionQuery {
  from?: string;
  to?: string;
  period: PeriodKind;
  /** The totalizer variable; default: the point's totalizer (registry/variables.ts totalizerOf), as DGA reports it. */
  variable?: string;
}

export interface ConsumptionFigures {
  volume_m3: number | null;
  /** Δtotalizer / Δt between `measured_from` and `measured_to`, L/s. */
  avg_flow_ls: number | null;
  /** Highest hourly maximum of the flow variable, L/s (null without a flow variable or readings). */
  max_flow_ls: number | null;
  /** avg_flow_ls as a percentage of the granted flow. */
  pct_of_granted_flow: number | null;
  /** max_flow_ls as a percentage of the granted flow. */
  max_pct_of_granted_flow: number | null;
  /** volume_m3 as a percentage of the granted annual volume. */
  pct_of_annual_volume: number | null;
  measured_from: string | null;
  measured_to: string | null;
  resets: number;
  spikes_ignored: number;
}

export interface ConsumptionItem extends ConsumptionFigures {
  period: string;
  start: string;
  end: string;
}

export interface ConsumptionResult {
  point_id: number;
  variable: string;
  flow_variable: string | null;
  period: PeriodKind;
  timezone: string;
  from: string;
  to: string;
  granted_flow_ls: number | null;
  annual_volume_m3: number | null;
  items: ConsumptionItem[];
  total: number;
  /** Exactly the requested [from, to), where the items are whole local periods. */
  summary: ConsumptionFigures;
}

const MAX_PERIODS: Record<PeriodKind, number> = { day: 3700, month: 240 };
const DEFAULT_SPAN_MS: Record<PeriodKind, number> = { day: 30 * DAY_MS, month: 365 * DAY_MS };

/** Extracted volume per local day or month, average and peak flow, against the point's DGA grant. */
export class ConsumptionService {
  private readonly repo: ConsumptionRepository;

  constructor(
    private readonly deps: { db: Db; points: PointService; schemas: SchemaService; timezone: string; clock: Clock; retentionDays: number },
  ) {
    this.repo = new ConsumptionRepository(deps.db);
  }

  async consumption(actor: Principal, pointId: number, q: ConsumptionQuery): Promise<ConsumptionResult> {
    const tz = this.deps.timezone;
    const now = this.deps.clock.now();
    // The range and its cost are checked before anything is read.
    const { from, to } = parseRange(q, tz, DEFAULT_SPAN_MS[q.period], now, queryBounds(now, this.deps.retentionDays));
    const periods = periodsBetween(from, to, q.period, tz, MAX_PERIODS[q.period]);
    if (periods.length > MAX_PERIODS[q.period]) {
      throw new ValidationError(`at most ${MAX_PERIODS[q.period]} periods of a ${q.period} per request; shorten from..to or use period=month`, 'from');
    }
    const point = await this.deps.points.get(actor, pointId);
    const vars = await this.deps.schemas.variables(pointId);
    const variable = q.variable ?? totalizerOf(vars)?.key;
    if (!variable) {
      throw new ValidationError(`point ${pointId} has no totalizer variable in its schema; name the totalizer with variable=`, 'variable');
    }
    const flowVariable = flowOf(vars)?.key ?? null;
    const config = vars.byKey.get(variable);
    const limits = counterLimitsOf(vars, config);

    const start = periods[0]!.start;
    const end = periods[periods.length - 1]!.end;
    // Daily rollups where a day can stand for its hours, hourly ones around period edges and wherever
    // the series is not simple (see wholeDays): the same volumes as all hours, with far fewer rows.
    const dayStart = new Date(Math.floor(start.getTime() / DAY_MS) * DAY_MS);
    const dayEnd = new Date(Math.ceil(end.getTime() / DAY_MS) * DAY_MS);
    const edges = [...periods.map((p) => p.start.getTime()), end.getTime(), from.getTime(), to.getTime()];
    const edgeDays = [...new Set(edges.filter((e) => e % DAY_MS !== 0).map((e) => Math.floor(e / DAY_MS) * DAY_MS))].map((d) => new Date(d));
    const [before, days, edgeHours, flowDays, flowHours] = await Promise.all([
      this.repo.before(pointId, variable, dayStart),
      this.repo.days(pointId, variable, dayStart, dayEnd),
      this.repo.hoursOf(pointId, variable, edgeDays),
      flowVariable ? this.repo.days(pointId, flowVariable, dayStart, dayEnd) : Promise.resolve([]),
      flowVariable ? this.repo.hoursOf(pointId, flowVariable, edgeDays) : Promise.resolve([]),
    ]);
    const dayAlone = wholeDays(days, edges, limits);
    const fetched = new Set(edgeDays.map((d) => d.getTime()));
    const more = days.filter((d, i) => !dayAlone[i] && !fetched.has(d.ms)).map((d) => new Date(d.ms));
    // A second round trip only when the series has a reset, a glitch or an implausible day away from the edges.
    const hours = more.length ? [...edgeHours, ...(await this.repo.hoursOf(pointId, variable, more))].sort((a, b) => a.ms - b.ms) : edgeHours;
    const flowWhole = flowDays.map((d) => !fetched.has(d.ms));
    const buckets = merge(days, dayAlone, hours);
    const flowMax = merge(flowDays, flowWhole, flowHours).map((b) => ({ ms: b.ms, max: b.max }));
    const readings = [...(before ? [before] : []), ...readingsOf(buckets)];
    const volumes = volumeByPeriod(readings, periods, limits);
    const [range] = volumeByPeriod(readings, [{ label: 'range', start: from, end: to }], limits);

    const granted = point.dga_granted_flow ?? null;
    const annual = point.dga_annual_volume ?? null;
    const peak = (s: Date, e: Date) => {
      let m: number | null = null;
      for (const h of flowMax) {
        if (h.ms >= s.getTime() && h.ms < e.getTime() && (m === null || h.max > m)) m = h.max;
      }
      return m;
    };
    const figures = (v: (typeof volumes)[number], maxFlow: number | null): ConsumptionFigures => {
      const avg = averageFlowOver(v.volume_m3, v.measured_from, v.measured_to);
      return {
        volume_m3: v.volume_m3 === null ? null : round(v.volume_m3, 3),
        avg_flow_ls: avg === null ? null : round(avg, 3),
        max_flow_ls: maxFlow === null ? null : round(maxFlow, 3),
        pct_of_granted_flow: avg !== null && granted ? round((avg / granted) * 100, 2) : null,
        max_pct_of_granted_flow: maxFlow !== null && granted ? round((maxFlow / granted) * 100, 2) : null,
        pct_of_annual_volume: v.volume_m3 !== null && annual ? round((v.volume_m3 / annual) * 100, 2) : null,
        measured_from: v.measured_from?.toISOString() ?? null,
        measured_to: v.measured_to?.toISOString() ?? null,
        resets: v.resets,
        spikes_ignored: v.spikes_ignored,
      };
    };
    const items = volumes.map((v) => ({
      period: v.label,
      start: v.start.toISOString(),
      end: v.end.toISOString(),
      ...figures(v, peak(v.start, v.end)),
    }));
    return {
      point_id: pointId,
      variable,
      flow_variable: flowVariable,
      period: q.period,
      timezone: tz,
      from: from.toISOString(),
      to: to.toISOString(),
      granted_flow_ls: granted,
      annual_volume_m3: annual,
      items,
      total: items.length,
      summary: figures(range!, peak(new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS), to)),
    };
  }
}

/** Days in order, each replaced by its hours where it cannot stand for them. */
function merge(days: CounterBucket[], whole: boolean[], hours: CounterBucket[]): CounterBucket[] {
  const out: CounterBucket[] = [];
  let h = 0;
  days.forEach((d, i) => {
    while (h < hours.length && hours[h]!.ms < d.ms) h++;
    if (whole[i]) {
      out.push(d);
      return;
    }
    while (h < hours.length && hours[h]!.ms < d.ms + DAY_MS) out.push(hours[h++]!);
  });
  return out;
}

