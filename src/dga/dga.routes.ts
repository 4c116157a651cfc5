import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Container } from '../container.js';
import { errorResponses, IdParams, ListOf, Nullable, Pagination, Timestamp } from '../http/schemas.js';
import { DGA_STANDARDS } from './types.js';
import { SUBMISSION_STATUSES, type SubmissionStatus } from './submission.repository.js';
import { parsePeriodBound } from './dga.service.js';

const Status = Type.Union(SUBMISSION_STATUSES.map((s) => Type.Literal(s)));
const Standard = Type.Union(DGA_STANDARDS.map((s) => Type.Literal(s)));

/** Never carries the informante password: `payload` is stored with autenticacion.password masked. */
export const Submission = Type.Object({
  id: Type.Integer(),
  point_id: Type.Integer(),
  point_title: Type.String(),
  client_id: Type.Integer(),
  codigo_obra: Nullable(Type.String()),
  standard: Standard,
  slot_at: Timestamp,
  status: Status,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_attempt_at: Nullable(Timestamp),
  receipt: Nullable(Type.String({ description: 'numeroComprobante' })),
  duplicate: Type.Boolean({ description: 'DGA already held the slot; the receipt was read from its answer' }),
  sent_at: Nullable(Timestamp),
  last_http_status: Nullable(Type.Integer()),
  last_response: Nullable(Type.String()),
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  payload: Type.Unknown({ description: 'the last request sent: path, headers, body (password masked)' }),
  reading: Type.Unknown({ description: 'the numbers behind the payload and their sample times' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Period = {
  from: Type.Optional(Type.String({ description: 'YYYY-MM-DD (local midnight in DGA_TIMEZONE) or ISO 8601; inclusive' })),
  to: Type.Optional(Type.String({ description: 'YYYY-MM-DD or ISO 8601; exclusive' })),
};

const SubmissionQuery = Type.Object({
  ...Pagination,
  point_id: Type.Optional(Type.Integer({ minimum: 1 })),
  client_id: Type.Optional(Type.Integer({ minimum: 1 })),
  status: Type.Optional(Status),
  ...Period,
});

const ComplianceQuery = Type.Object({
  ...Period,
  client_id: Type.Optional(Type.Integer({ minimum: 1 })),
  point_id: Type.Optional(Type.Integer({ minimum: 1 })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
});

const Counts = {
  due: Type.Integer(),
  sent_on_time: Type.Integer(),
  sent_late: Type.Integer(),
  pending: Type.Integer(),
  failed: Type.Integer(),
  needs_attention: Type.Integer(),
  missing: Type.Integer(),
  on_time_pct: Nullable(Type.Number()),
};

const ComplianceReport = Type.Object({
  from: Timestamp,
  to: Timestamp,
  generated_at: Timestamp,
  timezone: Type.String(),
  on_time_rule: Type.Record(Type.String(), Type.String()),
  points: Type.Array(
    Type.Object({
      point_id: Type.Integer(),
      point_title: Type.String(),
      client_id: Type.Integer(),
      client_name: Type.String(),
      codigo_obra: Nullable(Type.String()),
      standard: Standard,
      ...Counts,
    }),
  ),
  clients: Type.Array(Type.Object({ client_id: Type.Integer(), client_name: Type.String(), points: Type.Integer(), ...Counts })),
  totals: Type.Object(Counts),
});

const StatusSummary = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer()),
  retrying: Type.Integer(),
  needs_attention: Type.Array(
    Type.Object({
      id: Type.Integer(),
      point_id: Type.Integer(),
      point_title: Type.String(),
      codigo_obra: Nullable(Type.String()),
      slot_at: Timestamp,
      error_code: Nullable(Type.String()),
      error_message: Nullable(Type.String()),
      last_attempt_at: Nullable(Timestamp),
    }),
  ),
  config_problems: Type.Array(
    Type.Object({ point_id: Type.Integer(), point_title: Type.String(), problems: Type.Array(Type.String()) }),
  ),
  oldest_unsent_slot: Nullable(Timestamp),
  last_sent_at: Nullable(Timestamp),
});

/** DGA submissions, retry, compliance and status; client users see their own points only. */
export async function dgaRoutes(app: FastifyInstance, c: Container) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const dga = c.dga;
  const tz = c.config.reportTimezone;

  r.get('/dga/submissions', {
    schema: {
      tags: ['dga'],
      summary: 'DGA submissions, newest slot first (filters: point, client, status, slot period [from, to))',
      querystring: SubmissionQuery,
      response: { 200: ListOf(Submission), ...errorResponses },
    },
    handler: async (req) => {
      const q = req.query as Static<typeof SubmissionQuery>;
      return dga.list(
        req.principal,
        {
          point_id: q.point_id,
          client_id: q.client_id,
          status: q.status as SubmissionStatus | undefined,
          from: q.from ? parsePeriodBound(q.from, tz, 'from') : undefined,
          to: q.to ? parsePeriodBound(q.to, tz, 'to') : undefined,
        },
        q.limit,
        q.offset,
      );
    },
  });

  r.get('/dga/submissions/:id', {
    schema: { tags: ['dga'], summary: 'One DGA submission', params: IdParams, response: { 200: Submission, ...errorResponses } },
    handler: async (req) => dga.get(req.principal, req.params.id),
  });

  r.post('/dga/submissions/:id/retry', {
    schema: {
      tags: ['dga'],
      summary: 'Queue a submission for an immediate new attempt (staff; 409 when it already has a receipt)',
      params: IdParams,
      response: { 200: Submission, ...errorResponses },
    },
    handler: async (req) => dga.retry(req.principal, req.params.id),
  });

  r.get('/dga/compliance', {
    schema: {
      tags: ['dga'],
      summary: 'Slots owed per point and per client in a period: sent on time, late, pending, failed, needs attention, missing',
      querystring: ComplianceQuery,
      response: { 200: ComplianceReport, ...errorResponses },
    },
    handler: async (req, reply) => {
      const q = req.query as Static<typeof ComplianceQuery>;
      const report = await dga.compliance(req.principal, q);
      if (q.format === 'csv') {
        const name = `dga-compliance-${report.from.toISOString().slice(0, 10)}-${report.to.toISOString().slice(0, 10)}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(dga.complianceCsv(report));
      }
      return report;
    },
  });

  r.get('/dga/status', {
    schema: {
      tags: ['dga'],
      summary: 'Submissions by status, those needing an operator, and points that cannot report',
      response: { 200: StatusSummary, ...errorResponses },
    },
    handler: async (req) => dga.statusSummary(req.principal),
  });
}
