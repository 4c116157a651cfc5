/**
 * DGA submissions as users see them: the list, one retry, the compliance report and the status
 * summary. Every read is scoped to the caller's client.
 */
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { DAY_MS, HOUR_MS } from '../lib/time.js';
import { localMidnight } from '../lib/timezone.js';
import {
  addCounts, calendarCounter, complianceCsv, complianceOfTally, emptyCounts, emptyTally, onTimePercent, owedSlots, owedWindow, ON_TIME_GRACE_MS,
  type ComplianceClientLine, type CompliancePointLine, type OwedCounter, type SlotTally,
} from './compliance.js';
import { addOutcomes, splitByMonths } from './tally-months.js';
import type { SlotTallyRepository, TallyPlan } from './slot-tally.repository.js';
import {
  SUBMISSION_STATUSES, type ComplianceFilter, type ComplianceReport, type DgaStatusSummary, type SubmissionStatus,
  type SubmissionView,
} from './dga.schemas.js';
import type { CompliancePointRow, DgaPointRepository, DgaPointRow } from './dga-point.repository.js';
import { preparePoint } from './point-config.js';
import { mayBeHeldByDga } from './response.js';
import type { DgaStandard } from './types.js';
import type { PointVariables } from '../registry/variables.js';
import type { SubmissionFilter, SubmissionRepository } from './submission.repository.js';

export const MAX_COMPLIANCE_PERIOD_MS = 366 * DAY_MS;
/** Configuration checks run this many at a time in the status summary and the point problems. */
const CONFIG_CHECK_BATCH = 64;

export interface DgaServiceDeps {
  submissions: SubmissionRepository;
  /** The compliance report's counting (monthly tallies and rows). */
  tallies: SlotTallyRepository;
  points: DgaPointRepository;
  tz: string;
  /** The merged variables_config of a point, for configuration checks in the status summary. */
  variables(pointId: number): Promise<PointVariables>;
  clock?: Clock;
  /**
   * The tallies of `tz` are known to be kept (buildContainer keeps them with the migrations). Otherwise
   * the first compliance report makes sure of it (SlotTallyRepository.keepZone), once per service.
   */
  zoneKept?: boolean;
}

/** Accepts `YYYY-MM-DD` (local midnight in the report time zone) or an ISO 8601 instant. */
export function parsePeriodBound(value: string, tz: string, field: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    try {
      return localMidnight(value, tz);
    } catch {
      throw new ValidationError(`${field} is not a calendar date: ${value}`, field);
    }
  }
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) {
    throw new ValidationError(`${field} must be a date (YYYY-MM-DD) or an ISO 8601 date-time, got "${value}"`, field);
  }
  return d;
}

export class DgaService {
  private readonly repo: SubmissionRepository;
  private readonly tallies: SlotTallyRepository;
  private readonly points: DgaPointRepository;
  private readonly clock: Clock;
  /** Settles once the report zone's tallies are kept; a zone once kept stays kept. */
  private zoneKept: Promise<unknown> | null;

  constructor(private readonly deps: DgaServiceDeps) {
    this.repo = deps.submissions;
    this.tallies = deps.tallies;
    this.points = deps.points;
    this.clock = deps.clock ?? systemClock;
    this.zoneKept = deps.zoneKept ? Promise.resolve() : null;
  }

  list(
    actor: Principal,
    f: Omit<SubmissionFilter, 'tenant'>,
    limit: number,
    offset: number,
  ): Promise<{ items: SubmissionView[]; total: number }> {
    if (f.from && f.to && f.from >= f.to) throw new ValidationError('from must be before to', 'from');
    return this.repo.list({ ...f, tenant: tenantOf(actor) }, limit, offset);
  }

  async get(actor: Principal, id: number): Promise<SubmissionView> {
    const row = await this.repo.get(id);
    const tenant = tenantOf(actor);
    if (!row || (tenant !== null && row.client_id !== tenant)) {
      throw new NotFoundError('DGA_SUBMISSION_NOT_FOUND', `DGA submission ${id} does not exist`);
    }
    return row;
  }

  /**
   * Sends the slot again at the next reporter tick. Refused for a slot DGA already holds; a slot DGA
   * accepted without a readable receipt is queued again only with `force`.
   */
  async retry(actor: Principal, id: number, opts: { force?: boolean } = {}): Promise<SubmissionView> {
    requireStaff(actor);
    const row = await this.get(actor, id);
    if (row.receipt !== null) {
      throw new ConflictError(
        'DGA_ALREADY_SENT',
        `submission ${id} already has DGA receipt ${row.receipt}; a slot with a receipt is never sent again (DGA penalises resends)`,
        { receipt: row.receipt },
      );
    }
    if (mayBeHeldByDga(row) && opts.force !== true) {
      throw new ConflictError(
        'DGA_FORCE_REQUIRED',
        `DGA answered submission ${id} with HTTP ${row.last_http_status ?? '?'} (${row.error_code ?? 'no receipt'}) but gave no readable receipt: ` +
          'it may already hold the slot, and a resend is penalised. Check with DGA, then retry with {"force": true}',
        { field: 'force', last_http_status: row.last_http_status, error_code: row.error_code },
      );
    }
    if (!(await this.repo.requeue(id, this.clock.now()))) {
      const now = await this.repo.get(id);
      if (now?.receipt) {
        throw new ConflictError('DGA_ALREADY_SENT', `submission ${id} received DGA receipt ${now.receipt} meanwhile`);
      }
      throw new ConflictError('DGA_SUBMISSION_IN_FLIGHT', `submission ${id} is being sent right now; look again in a minute`);
    }
    return (await this.repo.get(id))!;
  }

  /**
   * Counts by status, the rows waiting for an operator and the points that cannot report, for the
   * caller's client. Cheap enough to poll: indexed counts plus one check per reporting point.
   */
  async statusSummary(actor: Principal): Promise<DgaStatusSummary> {
    const tenant = tenantOf(actor);
    const [byStatus, attention, points] = await Promise.all([
      this.repo.statusCounts(tenant),
      this.repo.needingAttention(tenant),
      this.points.sendingPoints(tenant),
    ]);
    const counts = Object.fromEntries(SUBMISSION_STATUSES.map((s) => [s, 0])) as Record<SubmissionStatus, number>;
    let retrying = 0;
    let oldestUnsent: Date | null = null;
    let lastSent: Date | null = null;
    for (const r of byStatus) {
      counts[r.status] = r.n;
      if (r.status === 'failed') retrying = r.retrying;
      if (r.status === 'sent') lastSent = r.last_sent;
      else if (r.oldest && (!oldestUnsent || r.oldest < oldestUnsent)) oldestUnsent = r.oldest;
    }
    const configProblems = await this.configProblems(points);
    return {
      counts,
      retrying,
      needs_attention: attention,
      config_problems: configProblems,
      oldest_unsent_slot: oldestUnsent,
      last_sent_at: lastSent,
    };
  }

  /** The sending points whose DGA configuration cannot report, and why. */
  private async configProblems(points: readonly DgaPointRow[]): Promise<DgaStatusSummary['config_problems']> {
    const problems: DgaStatusSummary['config_problems'] = [];
    // Checked CONFIG_CHECK_BATCH at a time: each may read the point's schema from the cache (a Redis round trip).
    for (let i = 0; i < points.length; i += CONFIG_CHECK_BATCH) {
      const batch = points.slice(i, i + CONFIG_CHECK_BATCH);
      // Whether a stored password decrypts is the reporter's to find out; here it only has to exist.
      const prepared = await Promise.all(
        batch.map((p) => preparePoint(p, { tz: this.deps.tz, variables: this.deps.variables, password: () => 'stored' })),
      );
      prepared.forEach((r, j) => {
        if (!r.ok) problems.push({ point_id: batch[j]!.id, point_title: batch[j]!.title, problems: r.problems });
      });
    }
    return problems;
  }

  /**
   * The DGA problem of each of the caller's sending points that has one, keyed by point id: its
   * configuration cannot report (the status summary's check), or a slot needs an operator, or a slot
   * failed and is being retried. Points without a problem are absent.
   */
  async pointProblems(actor: Principal): Promise<Map<number, string>> {
    const tenant = tenantOf(actor);
    const [points, rows] = await Promise.all([this.points.sendingPoints(tenant), this.repo.problemsByPoint(tenant)]);
    const out = new Map<number, string>();
    for (const c of await this.configProblems(points)) out.set(c.point_id, `configuration: ${c.problems.join('; ')}`);
    for (const r of rows) {
      if (out.has(r.point_id)) continue;
      const what = r.status === 'needs_attention' ? 'needs attention' : 'failed, retrying';
      const why = r.error_message ?? r.error_code;
      out.set(r.point_id, `slot ${r.slot_at.toISOString()} ${what}${why ? `: ${why}` : ''}`);
    }
    return out;
  }

  /** Per point and per client: slots owed in [from, to) and what became of them (see compliance.ts). */
  async compliance(actor: Principal, q: ComplianceFilter): Promise<ComplianceReport> {
    const tz = this.deps.tz;
    const now = this.clock.now();
    const to = q.to ? parsePeriodBound(q.to, tz, 'to') : now;
    const from = q.from ? parsePeriodBound(q.from, tz, 'from') : new Date(to.getTime() - 7 * DAY_MS);
    if (from >= to) throw new ValidationError('from must be before to', 'from');
    if (to.getTime() - from.getTime() > MAX_COMPLIANCE_PERIOD_MS) {
      throw new ValidationError('the period may span at most 366 days', 'to');
    }
    const points = await this.points.compliancePoints({ tenant: tenantOf(actor), client_id: q.client_id, point_id: q.point_id });
    const { tallies, owedCount } = await this.slotTallies(points, { from, to, now });

    const lines: CompliancePointLine[] = [];
    const clients = new Map<number, ComplianceClientLine>();
    const totals = emptyCounts();
    for (const p of points) {
      const { tally, startDate, superseded } = tallies.get(p.id)!;
      const counts = complianceOfTally({ standard: p.dga_standard, startDate, from, to, now, tz }, tally, undefined, owedCount);
      lines.push({
        point_id: p.id,
        point_title: p.title,
        client_id: p.client_id,
        client_name: p.client_name,
        codigo_obra: p.dga_code,
        standard: p.dga_standard,
        ...counts,
        on_time_pct: onTimePercent(counts),
        receipted_with_superseded_data: superseded,
      });
      const client = clients.get(p.client_id) ?? {
        client_id: p.client_id,
        client_name: p.client_name,
        points: 0,
        ...emptyCounts(),
        on_time_pct: null,
      };
      client.points++;
      addCounts(client, counts);
      clients.set(p.client_id, client);
      addCounts(totals, counts);
    }
    for (const c of clients.values()) c.on_time_pct = onTimePercent(c);
    const hours = (ms: number) => (ms >= DAY_MS ? `${ms / DAY_MS} d` : `${ms / HOUR_MS} h`);
    return {
      from,
      to,
      generated_at: now,
      timezone: tz,
      on_time_rule: Object.fromEntries(
        Object.entries(ON_TIME_GRACE_MS).map(([s, ms]) => [s, `receipt within ${hours(ms)} of the slot time`]),
      ) as Record<DgaStandard, string>,
      points: lines,
      clients: [...clients.values()],
      totals: { ...totals, on_time_pct: onTimePercent(totals) },
    };
  }

  /**
   * `tallySlots` of every point over [from, to), counted in the database: whole months past their grace
   * from the monthly tallies (see tally-months.ts), the rest of the period from the rows, every slot
   * matched against the calendar of the point's standard.
   */
  private async slotTallies(
    points: readonly CompliancePointRow[],
    period: { from: Date; to: Date; now: Date },
  ): Promise<{ tallies: Map<number, { tally: SlotTally; startDate: Date; superseded: number }>; owedCount: OwedCounter }> {
    const tz = this.deps.tz;
    const { from, to, now } = period;
    const upper = new Date(Math.min(to.getTime() - 1, now.getTime()));
    const standards = [...new Set(points.map((p) => p.dga_standard))];
    // Every slot of each standard in the period, once: rows are matched against it in the database.
    const calendar = standards.flatMap((standard) =>
      owedSlots(standard, { from, to, startDate: from, now, tz, limit: Number.MAX_SAFE_INTEGER }).map((at) => ({ standard, at })),
    );
    await this.keepZone();
    const months = points.length === 0 || upper < from ? [] : await this.tallies.months(tz, standards, calendar, from, upper);
    // Points of one standard and start date owe the same slots: their window and split are worked out once.
    const plans: (TallyPlan & { startDate: Date })[] = [];
    const planIndex = new Map<string, number>();
    const planned = points.map((p) => {
      const key = `${p.dga_standard} ${p.dga_start_date}`;
      let plan = planIndex.get(key);
      if (plan === undefined) {
        const startDate = localMidnight(p.dga_start_date, tz);
        const window = owedWindow({ standard: p.dga_standard, startDate, from, to, now });
        const split = splitByMonths(window, months);
        plan = plans.push({
          standard: p.dga_standard, startDate, lower: new Date(window.lower), graceFrom: new Date(window.graceFrom),
          graceMs: ON_TIME_GRACE_MS[p.dga_standard], months: split.months, skip: split.skip, end: split.end, scan: split.scan,
        }) - 1;
        planIndex.set(key, plan);
      }
      return { id: p.id, plan };
    });
    const [byMonth, byRange, superseded] = await Promise.all([
      this.tallies.monthOutcomes(tz, plans, planned.filter((p) => plans[p.plan]!.months !== null)),
      this.tallies.rangeTallies(tz, plans, planned, calendar, { from, upper }),
      this.tallies.superseded(points.map((p) => p.id), from, to),
    ]);
    const tallies = new Map(
      planned.map(({ id, plan }) => {
        const tally = emptyTally();
        const ranges = byRange.get(id);
        if (ranges) {
          Object.assign(tally, ranges.counted);
          addOutcomes(tally, ranges.subtracted, -1);
        }
        const months = byMonth.get(id);
        if (months) addOutcomes(tally, months, 1);
        return [id, { tally, startDate: plans[plan]!.startDate, superseded: superseded.get(id) ?? 0 }];
      }),
    );
    return { tallies, owedCount: calendarCounter(calendar) };
  }

  private keepZone(): Promise<unknown> {
    // A failed attempt (the database away) is made again by the next report.
    this.zoneKept ??= this.tallies.keepZone(this.deps.tz).catch((err: unknown) => {
      this.zoneKept = null;
      throw err;
    });
    return this.zoneKept;
  }

  complianceCsv(report: ComplianceReport): string {
    return complianceCsv(report);
  }
}
