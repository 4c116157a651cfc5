/**
 * Point statuses (the map's colours) and the operator dashboard: read models over the registry,
 * latest values, DGA submissions and collection ticks. The DGA figures come from the DGA service
 * (the same checks and compliance rule as /dga/status and /dga/compliance), injected by the container.
 */
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import type { Clock } from '../lib/clock.js';
import { DAY_MS } from '../lib/time.js';
import { toLocal } from '../lib/timezone.js';
import type { DgaService } from '../dga/dga.service.js';
import type { SubmissionStatus } from '../dga/dga.schemas.js';
import { pointStatus, type PointStatus } from './point-status.js';
import type { OverviewRepository } from './overview.repository.js';
import type { Dashboard, KpiKey, PointStatusLine, PointStatusQuery } from './overview.schemas.js';

export interface OverviewServiceDeps {
  repo: OverviewRepository;
  dga: Pick<DgaService, 'pointProblems' | 'statusSummary' | 'compliance'>;
  /** The report time zone: "this month" is a local calendar month. */
  tz: string;
  clock: Clock;
}

const pct = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 10);

export class OverviewService {
  constructor(private readonly deps: OverviewServiceDeps) {}

  async pointStatuses(actor: Principal, q: PointStatusQuery): Promise<{ items: PointStatusLine[]; total: number }> {
    const now = this.deps.clock.now();
    const [rows, problems] = await Promise.all([
      this.deps.repo.pointReadings({ tenant: tenantOf(actor), client_id: q.client_id, project_id: q.project_id }),
      this.deps.dga.pointProblems(actor),
    ]);
    const items = rows.map((r): PointStatusLine => {
      const reason = r.dga_send ? (problems.get(r.point_id) ?? null) : null;
      return {
        point_id: r.point_id,
        status: pointStatus({ isTelemetryActive: r.is_telemetry_active, frequency: r.frequency, lastReadingAt: r.last_reading_at, now }),
        last_reading_at: r.last_reading_at,
        dga_problem: reason !== null,
        dga_problem_reason: reason,
      };
    });
    return { items, total: items.length };
  }

  /** Staff only: the operator's figures over every client. */
  async dashboard(actor: Principal): Promise<Dashboard> {
    requireStaff(actor);
    const now = this.deps.clock.now();
    const local = toLocal(now, this.deps.tz);
    const monthStart = `${local.year}-${String(local.month).padStart(2, '0')}-01`;
    const [rows, withErrors, dgaStatus, compliance, ticks] = await Promise.all([
      this.deps.repo.pointReadings({ tenant: null }),
      this.deps.repo.pointsWithErrors(null, new Date(now.getTime() - DAY_MS)),
      this.deps.dga.statusSummary(actor),
      this.deps.dga.compliance(actor, { from: monthStart, to: now.toISOString() }),
      this.deps.repo.providerTicks(new Date(now.getTime() - DAY_MS)),
    ]);
    const byStatus = new Map<PointStatus, number>();
    for (const r of rows) {
      const s = pointStatus({ isTelemetryActive: r.is_telemetry_active, frequency: r.frequency, lastReadingAt: r.last_reading_at, now });
      byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
    }
    const counts = dgaStatus.counts as Partial<Record<SubmissionStatus, number>>;
    const n = (s: PointStatus) => byStatus.get(s) ?? 0;
    const active = rows.length - n('inactive');
    const kpi = (key: KpiKey, value: number | null, unit?: string) => (unit ? { key, value, unit } : { key, value });
    return {
      generated_at: now,
      kpis: [
        kpi('points_total', rows.length),
        kpi('points_with_dga_code', rows.filter((r) => r.has_dga_code).length),
        kpi('reporting_now_pct', pct(n('reporting'), active), '%'),
        kpi('dga_on_time_month_pct', compliance.totals.on_time_pct, '%'),
        kpi('disconnected_points', n('disconnected')),
        kpi('points_with_errors', withErrors),
      ],
      dga_queue: {
        pending: (counts.pending ?? 0) + (counts.sending ?? 0),
        retrying: dgaStatus.retrying,
        needs_attention: dgaStatus.needs_attention.map((a) => ({
          submission_id: a.id,
          point_id: a.point_id,
          point_title: a.point_title,
          reason: a.error_message ?? a.error_code ?? 'waiting for an operator',
        })),
      },
      collection: ticks.map((t) => ({
        provider: t.provider,
        last_tick_at: t.last_tick_at,
        ticks_24h: t.ticks_24h,
        failures_24h: t.failures_24h,
        ...(t.last_error ? { last_error: t.last_error } : {}),
      })),
    };
  }
}
