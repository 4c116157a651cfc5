/** Shapes of the point statuses and the operator dashboard (the web application codes against them). */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../http/schemas.js';
import { POINT_STATUSES } from './point-status.js';

export const PointStatusQuery = Type.Object({
  client_id: Type.Optional(Id()),
  project_id: Type.Optional(Id()),
});
export type PointStatusQuery = Static<typeof PointStatusQuery>;

export const PointStatusLine = Type.Object({
  point_id: Type.Integer(),
  status: Type.Union(POINT_STATUSES.map((s) => Type.Literal(s)), {
    description:
      'inactive: telemetry off; no_data: never a reading; disconnected: newest reading older than 24 h; ' +
      'late: older than 2 × the point frequency; reporting otherwise',
  }),
  last_reading_at: Nullable(Timestamp),
  dga_problem: Type.Boolean({
    description: 'DGA sending is on and its configuration cannot report, or a slot needs an operator or failed (being retried)',
  }),
  dga_problem_reason: Nullable(Type.String()),
});
export type PointStatusLine = Static<typeof PointStatusLine>;

export const PointStatusList = Type.Object({ items: Type.Array(PointStatusLine), total: Type.Integer() });

export const KPI_KEYS = [
  'points_total',
  'points_with_dga_code',
  'reporting_now_pct',
  'dga_on_time_month_pct',
  'disconnected_points',
  'points_with_errors',
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

export const Dashboard = Type.Object({
  generated_at: Timestamp,
  kpis: Type.Array(
    Type.Object({
      key: Type.Union(KPI_KEYS.map((k) => Type.Literal(k))),
      value: Nullable(Type.Number({ description: 'null when there is nothing to measure (a percentage of zero points or slots)' })),
      unit: Type.Optional(Type.String()),
    }),
    {
      description:
        'points_total; points_with_dga_code; reporting_now_pct: reporting / points with telemetry on; ' +
        'dga_on_time_month_pct: slots of this month (report time zone) sent on time / slots owed so far; ' +
        'disconnected_points; points_with_errors: points with a dead letter in the last 24 h or a variable whose latest ' +
        'reading (of the last 24 h) scores 0.5 or less (spike, out of range, unknown unit, no value)',
    },
  ),
  dga_queue: Type.Object({
    pending: Type.Integer({ description: 'slots not sent yet and not failed: pending or being sent' }),
    retrying: Type.Integer({ description: 'failed slots with a retry scheduled' }),
    needs_attention: Type.Array(
      Type.Object({ submission_id: Type.Integer(), point_id: Type.Integer(), point_title: Type.String(), reason: Type.String() }),
      { description: 'the newest 100' },
    ),
  }),
  collection: Type.Array(
    Type.Object({
      provider: Type.String(),
      last_tick_at: Nullable(Timestamp),
      ticks_24h: Type.Integer({ description: 'finished collection ticks of the last 24 h that collected points of this provider' }),
      failures_24h: Type.Integer({ description: 'point collections of this provider that failed in those ticks' }),
      last_error: Type.Optional(Type.String()),
    }),
  ),
});
export type Dashboard = Static<typeof Dashboard>;
