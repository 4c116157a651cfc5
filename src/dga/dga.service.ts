/**
 * DGA submissions as users see them: the list, one retry, the compliance report and the status
 * summary (also for /stats). Every read is scoped to the caller's client.
 */
import type { Db } from '../infra/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import {
  addCounts, complianceCsv, emptyCounts, onTimePercent, pointCompliance, ON_TIME_GRACE_MS,
  type ComplianceClientLine, type ComplianceCounts, type CompliancePointLine, type SlotRecord,
} from './compliance.js';
import { systemClock, type Clock } from './reporter.service.js';
import { dgaVariables, variableProblems } from './slot-reading.js';
import { parseVariables } from '../registry/variables.js';
import { localMidnight } from '../lib/timezone.js';
import type { DgaStandard } from './types.js';
import { parseDgaConfig } from './validation.js';
import {
  SubmissionRepository, SUBMISSION_STATUSES, type SubmissionFilter, type SubmissionStatus, type SubmissionView,
} from './submission.repository.js';
import { DAY_MS } from '../lib/time.js';

export const MAX_COMPLIANCE_PERIOD_MS = 366 * DAY_MS;

export interface DgaServiceDeps {
  db: Db;
  tz: string;
  /** The merged variables_config of a point, for configuration checks in the status summary. */
  variablesConfig(pointId: number): Promise<unknown>;
  clock?: Clock;
}

export interface ComplianceReport {
  from: Date;
  to: Date;
  generated_at: Date;
  timezone: string;
  on_time_rule: Record<DgaStandard, string>;
  points: CompliancePointLine[];
  clients: ComplianceClientLine[];
  totals: ComplianceCounts & { on_time_pct: number | null };
}

export interface DgaStatusSummary {
  counts: Record<SubmissionStatus, number>;
  /** failed rows with a retry scheduled. */
  retrying: number;
  needs_attention: {
    id: number;
    point_id: number;
    point_title: string;
    codigo_obra: string | null;
    slot_at: Date;
    error_code: string | null;
    error_message: string | null;
    last_attempt_at: Date | null;
  }[];
  /** Points with DGA sending on that cannot report, and why. */
  config_problems: { point_id: number; point_title: string; problems: string[] }[];
  oldest_unsent_slot: Date | null;
  last_sent_at: Date | null;
}

/** Accepts `YYYY-MM-DD` (local midnight in the DGA time zone) or an ISO 8601 instant. */
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

/**
 * Counts by status, the rows waiting for an operator and the points that cannot report, for one
 * tenant (null: all). Cheap enough for /stats: indexed counts plus one check per reporting point.
 */
export async function dgaStatusSummary(
  deps: Pick<DgaServiceDeps, 'db' | 'variablesConfig' | 'tz'>,
  tenant: number | null,
): Promise<DgaStatusSummary> {
  const scope = tenant === null ? '' : 'AND pr.client_id = $1';
  const params = tenant === null ? [] : [tenant];
  const join = 'FROM dga_submissions s JOIN catchment_points p ON p.id = s.point_id JOIN projects pr ON pr.id = p.project_id';
  const [byStatus, attention, points] = await Promise.all([
    deps.db.query<{ status: SubmissionStatus; n: number; retrying: number; oldest: Date | null; last_sent: Date | null }>(
      `SELECT s.status, count(*)::int AS n, count(*) FILTER (WHERE s.next_attempt_at IS NOT NULL)::int AS retrying,
              min(s.slot_at) AS oldest, max(s.sent_at) AS last_sent
       ${join} WHERE true ${scope} GROUP BY s.status`,
      params,
    ),
    deps.db.query<DgaStatusSummary['needs_attention'][number]>(
      `SELECT s.id, s.point_id, p.title AS point_title, p.dga_code AS codigo_obra, s.slot_at, s.error_code, s.error_message,
              s.last_attempt_at
       ${join} WHERE s.status = 'needs_attention' ${scope} ORDER BY s.slot_at DESC, s.id DESC LIMIT 100`,
      params,
    ),
    deps.db.query<{
      id: number; title: string; dga_standard: string | null; dga_type: string | null; dga_code: string | null;
      dga_informant_rut: string | null; has_password: boolean; dga_company_rut: string | null; dga_start_date: string | null;
    }>(
      `SELECT p.id, p.title, p.dga_standard, p.dga_type, p.dga_code, p.dga_informant_rut, p.dga_password_enc IS NOT NULL AS has_password,
              p.dga_company_rut, p.dga_start_date::text AS dga_start_date
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id WHERE p.dga_send ${scope} ORDER BY p.id`,
      params,
    ),
  ]);
  const counts = Object.fromEntries(SUBMISSION_STATUSES.map((s) => [s, 0])) as Record<SubmissionStatus, number>;
  let retrying = 0;
  let oldestUnsent: Date | null = null;
  let lastSent: Date | null = null;
  for (const r of byStatus.rows) {
    counts[r.status] = r.n;
    if (r.status === 'failed') retrying = r.retrying;
    if (r.status === 'sent') lastSent = r.last_sent;
    else if (r.oldest && (!oldestUnsent || r.oldest < oldestUnsent)) oldestUnsent = r.oldest;
  }
  const configProblems: DgaStatusSummary['config_problems'] = [];
  for (const p of points.rows) {
    const parsed = parseDgaConfig({
      sendEnabled: true,
      standard: p.dga_standard,
      type: p.dga_type,
      codigoObra: p.dga_code,
      informanteRut: p.dga_informant_rut,
      informantePassword: p.has_password ? 'stored' : null,
      companyRut: p.dga_company_rut,
      startDate: p.dga_start_date ? localMidnight(p.dga_start_date, deps.tz) : null,
    });
    const problems = parsed.ok
      ? variableProblems(
          dgaVariables(parseVariables(await deps.variablesConfig(p.id).catch(() => null))),
          parsed.config.type,
          parsed.config.standard,
        )
      : parsed.errors.map((e) => `${e.field}: ${e.message}`);
    if (problems.length > 0) configProblems.push({ point_id: p.id, point_title: p.title, problems });
  }
  return {
    counts,
    retrying,
    needs_attention: attention.rows,
    config_problems: configProblems,
    oldest_unsent_slot: oldestUnsent,
    last_sent_at: lastSent,
  };
}

export class DgaService {
  private readonly repo: SubmissionRepository;
  private readonly clock: Clock;

  constructor(private readonly deps: DgaServiceDeps) {
    this.repo = new SubmissionRepository(deps.db);
    this.clock = deps.clock ?? systemClock;
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

  /** Sends the slot again at the next reporter tick. Refused for a slot DGA already holds. */
  async retry(actor: Principal, id: number): Promise<SubmissionView> {
    requireStaff(actor);
    const row = await this.get(actor, id);
    if (row.receipt !== null) {
      throw new ConflictError(
        'DGA_ALREADY_SENT',
        `submission ${id} already has DGA receipt ${row.receipt}; a slot with a receipt is never sent again (DGA penalises resends)`,
        { receipt: row.receipt },
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

  async statusSummary(actor: Principal): Promise<DgaStatusSummary> {
    return dgaStatusSummary(this.deps, tenantOf(actor));
  }

  /** Per point and per client: slots owed in [from, to) and what became of them (see compliance.ts). */
  async compliance(
    actor: Principal,
    q: { from?: string; to?: string; client_id?: number; point_id?: number },
  ): Promise<ComplianceReport> {
    const tz = this.deps.tz;
    const now = this.clock.now();
    const to = q.to ? parsePeriodBound(q.to, tz, 'to') : now;
    const from = q.from ? parsePeriodBound(q.from, tz, 'from') : new Date(to.getTime() - 7 * DAY_MS);
    if (from >= to) throw new ValidationError('from must be before to', 'from');
    if (to.getTime() - from.getTime() > MAX_COMPLIANCE_PERIOD_MS) {
      throw new ValidationError('the period may span at most 366 days', 'to');
    }
    const params: unknown[] = [];
    const conds = ['p.dga_send', 'p.dga_standard IS NOT NULL', 'p.dga_start_date IS NOT NULL'];
    const tenant = tenantOf(actor);
    if (tenant !== null) conds.push(`pr.client_id = $${params.push(tenant)}`);
    if (q.client_id !== undefined) conds.push(`pr.client_id = $${params.push(q.client_id)}`);
    if (q.point_id !== undefined) conds.push(`p.id = $${params.push(q.point_id)}`);
    const { rows: points } = await this.deps.db.query<{
      id: number; title: string; client_id: number; client_name: string; dga_code: string | null;
      dga_standard: DgaStandard; dga_start_date: string;
    }>(
      `SELECT p.id, p.title, pr.client_id, c.name AS client_name, p.dga_code, p.dga_standard, p.dga_start_date::text AS dga_start_date
       FROM catchment_points p JOIN projects pr ON pr.id = p.project_id JOIN clients c ON c.id = pr.client_id
       WHERE ${conds.join(' AND ')} ORDER BY c.name, pr.client_id, p.id`,
      params,
    );
    const { rows: subs } = points.length
      ? await this.deps.db.query<SlotRecord & { point_id: number }>(
          `SELECT point_id, slot_at, status, sent_at FROM dga_submissions
           WHERE point_id = ANY($1::bigint[]) AND slot_at >= $2 AND slot_at < $3`,
          [points.map((p) => p.id), from, to],
        )
      : { rows: [] };
    const byPoint = new Map<number, SlotRecord[]>();
    for (const s of subs) {
      const list = byPoint.get(s.point_id) ?? [];
      list.push(s);
      byPoint.set(s.point_id, list);
    }

    const lines: CompliancePointLine[] = [];
    const clients = new Map<number, ComplianceClientLine>();
    const totals = emptyCounts();
    for (const p of points) {
      const counts = pointCompliance({
        standard: p.dga_standard,
        startDate: localMidnight(p.dga_start_date, tz),
        from,
        to,
        now,
        tz,
        submissions: byPoint.get(p.id) ?? [],
      });
      lines.push({
        point_id: p.id,
        point_title: p.title,
        client_id: p.client_id,
        client_name: p.client_name,
        codigo_obra: p.dga_code,
        standard: p.dga_standard,
        ...counts,
        on_time_pct: onTimePercent(counts),
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
    const hours = (ms: number) => (ms >= DAY_MS ? `${ms / DAY_MS} d` : `${ms / 3_600_000} h`);
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

  complianceCsv(report: ComplianceReport): string {
    return complianceCsv(report);
  }
}
