import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { Type } from '@sinclair/typebox';
import { ComplianceQuery, ComplianceReport, DgaStatusSummary, RetryBody, Submission, SubmissionQuery } from './dga.schemas.js';
import { parsePeriodBound, type DgaService } from './dga.service.js';

export interface DgaRouteOptions {
  dga: DgaService;
  /** The zone a bare `YYYY-MM-DD` period bound is a local midnight in. */
  reportTimezone: string;
}

const day = (d: Date | string) => new Date(d).toISOString().slice(0, 10);

/** DGA submissions, retry, compliance and status; client users see their own points only. */
export async function dgaRoutes(app: FastifyInstance, { dga, reportTimezone: tz }: DgaRouteOptions) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/dga/submissions', {
    schema: {
      tags: ['dga'],
      summary: 'DGA submissions, newest slot first (filters: point, client, status, slot period [from, to))',
      querystring: SubmissionQuery,
      response: { 200: ListOf(Submission), ...errorResponses },
    },
    handler: async (req) => {
      const { point_id, client_id, status, receipted_with_superseded_data, from, to, limit, offset } = req.query;
      const filter = {
        point_id,
        client_id,
        status,
        receipted_with_superseded_data,
        from: from ? parsePeriodBound(from, tz, 'from') : undefined,
        to: to ? parsePeriodBound(to, tz, 'to') : undefined,
      };
      return dga.list(req.principal, filter, limit, offset);
    },
  });

  r.get('/dga/submissions/:id', {
    schema: { tags: ['dga'], summary: 'One DGA submission', params: IdParams, response: { 200: Submission, ...errorResponses } },
    handler: async (req) => dga.get(req.principal, req.params.id),
  });

  r.post('/dga/submissions/:id/retry', {
    schema: {
      tags: ['dga'],
      summary:
        'Queue a submission for an immediate new attempt (staff; 409 when it already has a receipt, and 409 DGA_FORCE_REQUIRED ' +
        'without {"force": true} when DGA answered 2xx without a readable receipt)',
      params: IdParams,
      body: Type.Optional(RetryBody),
      response: { 200: Submission, ...errorResponses },
    },
    // No body is the plain retry.
    preValidation: async (req) => {
      req.body ??= {};
    },
    handler: async (req) => dga.retry(req.principal, req.params.id, { force: req.body?.force }),
  });

  r.get('/dga/compliance', {
    schema: {
      tags: ['dga'],
      summary: 'Slots owed per point and per client in a period: sent on time, late, pending, failed, needs attention, missing',
      querystring: ComplianceQuery,
      response: { 200: ComplianceReport, ...errorResponses },
    },
    handler: async (req, reply) => {
      const { format, ...filter } = req.query;
      const report = await dga.compliance(req.principal, filter);
      if (format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="dga-compliance-${day(report.from)}-${day(report.to)}.csv"`)
          .send(dga.complianceCsv(report));
      }
      return report;
    },
  });

  r.get('/dga/status', {
    schema: {
      tags: ['dga'],
      summary: 'Submissions by status, those needing an operator, and points that cannot report',
      response: { 200: DgaStatusSummary, ...errorResponses },
    },
    handler: async (req) => dga.statusSummary(req.principal),
  });
}
