import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, ListOf, Pagination } from '../http/schemas.js';
import { ValidationError } from '../errors.js';
import { computedFieldIn } from './money.js';
import { reportCsv } from './report.service.js';
import type { ErpServices } from './erp.services.js';
import {
  Assignment, AssignmentBody, Equipment, EquipmentBody, EquipmentPatch, EquipmentQuery, Expense, ExpenseBody, ExpenseQuery, Invoice,
  InvoiceBody, InvoicePatch, InvoiceQuery, InvoiceStatusBody, Maintenance, MaintenanceBody, PaymentBody, PaymentResult, Quote, QuoteBody,
  QuotePatch, QuotePreview, QuotePreviewBody, QuoteQuery, QuoteStatusBody, Report, ReportQuery,
} from './erp.schemas.js';

/** Totals, line totals, numbers and states are the server's: a body carrying one is refused, naming it. */
async function refuseComputedFields(req: FastifyRequest): Promise<void> {
  const field = computedFieldIn(req.body);
  if (field === 'status') throw new ValidationError('status changes only through POST …/{id}/status (and payments); leave it out', field);
  if (field) throw new ValidationError(`${field} is computed by the server; leave it out of the request`, field);
}

const Pdf = Type.String({ format: 'binary', description: 'application/pdf' });

function sendPdf(reply: FastifyReply, doc: { number: string; pdf: Buffer }) {
  return reply.type('application/pdf').header('content-disposition', `inline; filename="${doc.number}.pdf"`).send(doc.pdf);
}

/**
 * Quotes, invoices with payments, expenses, equipment and the ERP report. Staff manage everything; a
 * client user reads its own client's quotes and invoices (and their PDFs) and gets 403 everywhere else.
 */
export const erpRoutes: FastifyPluginAsync<{ erp: ErpServices }> = async (app, { erp }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = (t: string) => [t];

  r.get('/quotes', {
    schema: { tags: tags('quotes'), querystring: QuoteQuery, response: { 200: ListOf(Quote), ...errorResponses } },
    handler: async (req) => erp.quotes.list(req.principal, req.query),
  });
  r.post('/quotes', {
    preValidation: refuseComputedFields,
    schema: { tags: tags('quotes'), summary: 'Create a DRAFT quote (COT-YYYY-NNNN); the server computes every total', body: QuoteBody, response: { 201: Quote, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await erp.quotes.create(req.principal, req.body)),
  });
  r.post('/quotes/preview', {
    preValidation: refuseComputedFields,
    schema: {
      tags: tags('quotes'),
      summary: 'The totals of a quote with these items, by the same rules as POST /quotes; nothing is stored',
      body: QuotePreviewBody,
      response: { 200: QuotePreview, ...errorResponses },
    },
    handler: async (req) => erp.quotes.preview(req.principal, req.body),
  });
  r.get('/quotes/:id.pdf', {
    schema: { tags: tags('quotes'), summary: 'The quote as PDF', params: IdParams, response: { 200: Pdf, ...errorResponses } },
    handler: async (req, reply) => sendPdf(reply, await erp.quotes.pdf(req.principal, req.params.id)),
  });
  r.get('/quotes/:id', {
    schema: { tags: tags('quotes'), params: IdParams, response: { 200: Quote, ...errorResponses } },
    handler: async (req) => erp.quotes.get(req.principal, req.params.id),
  });
  r.patch('/quotes/:id', {
    preValidation: refuseComputedFields,
    schema: { tags: tags('quotes'), summary: 'Change a DRAFT quote (409 once sent)', params: IdParams, body: QuotePatch, response: { 200: Quote, ...errorResponses } },
    handler: async (req) => erp.quotes.update(req.principal, req.params.id, req.body),
  });
  r.post('/quotes/:id/status', {
    schema: {
      tags: tags('quotes'),
      summary: 'DRAFT → SENT → ACCEPTED | REJECTED, SENT → EXPIRED after valid_until (409 names the allowed next states)',
      params: IdParams,
      body: QuoteStatusBody,
      response: { 200: Quote, ...errorResponses },
    },
    handler: async (req) => erp.quotes.setStatus(req.principal, req.params.id, req.body.status),
  });

  r.get('/invoices', {
    schema: { tags: tags('invoices'), querystring: InvoiceQuery, response: { 200: ListOf(Invoice), ...errorResponses } },
    handler: async (req) => erp.invoices.list(req.principal, req.query),
  });
  r.post('/invoices', {
    preValidation: refuseComputedFields,
    schema: {
      tags: tags('invoices'),
      summary: 'Create a DRAFT invoice (FAC-YYYY-NNNN) from an ACCEPTED quote ({"quote_id"}) or from items',
      body: InvoiceBody,
      response: { 201: Invoice, ...errorResponses },
    },
    handler: async (req, reply) => reply.status(201).send(await erp.invoices.create(req.principal, req.body)),
  });
  r.get('/invoices/:id.pdf', {
    schema: { tags: tags('invoices'), summary: 'The invoice as PDF', params: IdParams, response: { 200: Pdf, ...errorResponses } },
    handler: async (req, reply) => sendPdf(reply, await erp.invoices.pdf(req.principal, req.params.id)),
  });
  r.get('/invoices/:id', {
    schema: { tags: tags('invoices'), params: IdParams, response: { 200: Invoice, ...errorResponses } },
    handler: async (req) => erp.invoices.get(req.principal, req.params.id),
  });
  r.patch('/invoices/:id', {
    preValidation: refuseComputedFields,
    schema: { tags: tags('invoices'), summary: 'Change a DRAFT invoice (409 once issued)', params: IdParams, body: InvoicePatch, response: { 200: Invoice, ...errorResponses } },
    handler: async (req) => erp.invoices.update(req.principal, req.params.id, req.body),
  });
  r.post('/invoices/:id/status', {
    schema: {
      tags: tags('invoices'),
      summary: 'DRAFT → ISSUED, DRAFT/ISSUED → CANCELLED, ISSUED/PARTIALLY_PAID → OVERDUE after the due date; PARTIALLY_PAID and PAID come from payments',
      params: IdParams,
      body: InvoiceStatusBody,
      response: { 200: Invoice, ...errorResponses },
    },
    handler: async (req) => erp.invoices.setStatus(req.principal, req.params.id, req.body.status),
  });
  r.post('/invoices/:id/payments', {
    schema: {
      tags: tags('invoices'),
      summary: 'Record a payment of at most the balance (409 beyond it)',
      params: IdParams,
      body: PaymentBody,
      response: { 201: PaymentResult, ...errorResponses },
    },
    handler: async (req, reply) => reply.status(201).send(await erp.invoices.pay(req.principal, req.params.id, req.body)),
  });

  r.get('/expenses', {
    schema: { tags: tags('expenses'), querystring: ExpenseQuery, response: { 200: ListOf(Expense), ...errorResponses } },
    handler: async (req) => erp.expenses.list(req.principal, req.query),
  });
  r.post('/expenses', {
    preValidation: refuseComputedFields,
    schema: { tags: tags('expenses'), summary: 'Record an expense (GAS-YYYY-NNNN); IVA and total are computed', body: ExpenseBody, response: { 201: Expense, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await erp.expenses.create(req.principal, req.body)),
  });
  r.get('/expenses/:id', {
    schema: { tags: tags('expenses'), params: IdParams, response: { 200: Expense, ...errorResponses } },
    handler: async (req) => erp.expenses.get(req.principal, req.params.id),
  });

  r.get('/equipment', {
    schema: { tags: tags('equipment'), querystring: EquipmentQuery, response: { 200: ListOf(Equipment), ...errorResponses } },
    handler: async (req) => erp.equipment.list(req.principal, req.query),
  });
  r.post('/equipment', {
    schema: { tags: tags('equipment'), summary: 'Register equipment (409 on a serial number taken, whatever the case)', body: EquipmentBody, response: { 201: Equipment, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await erp.equipment.create(req.principal, req.body)),
  });
  r.get('/equipment/:id', {
    schema: { tags: tags('equipment'), params: IdParams, response: { 200: Equipment, ...errorResponses } },
    handler: async (req) => erp.equipment.get(req.principal, req.params.id),
  });
  r.patch('/equipment/:id', {
    schema: { tags: tags('equipment'), params: IdParams, body: EquipmentPatch, response: { 200: Equipment, ...errorResponses } },
    handler: async (req) => erp.equipment.update(req.principal, req.params.id, req.body),
  });
  r.post('/equipment/:id/assignments', {
    schema: { tags: tags('equipment'), summary: 'Move equipment to a project and/or point (kept in its history)', params: IdParams, body: AssignmentBody, response: { 201: Assignment, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await erp.equipment.assign(req.principal, req.params.id, req.body)),
  });
  r.get('/equipment/:id/assignments', {
    schema: { tags: tags('equipment'), summary: 'Assignment history: who, when, from, to', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Assignment) }), ...errorResponses } },
    handler: async (req) => ({ items: await erp.equipment.assignments(req.principal, req.params.id) }),
  });
  r.post('/equipment/:id/maintenance', {
    schema: { tags: tags('equipment'), summary: 'Record maintenance; a cost becomes a maintenance expense (GAS-)', params: IdParams, body: MaintenanceBody, response: { 201: Maintenance, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await erp.equipment.addMaintenance(req.principal, req.params.id, req.body)),
  });
  r.get('/equipment/:id/maintenance', {
    schema: { tags: tags('equipment'), params: IdParams, response: { 200: Type.Object({ items: Type.Array(Maintenance) }), ...errorResponses } },
    handler: async (req) => ({ items: await erp.equipment.maintenance(req.principal, req.params.id) }),
  });
  r.get('/points/:id/equipment', {
    schema: {
      tags: tags('equipment'),
      summary: 'Equipment installed at a point',
      params: IdParams,
      querystring: Type.Object(Pagination),
      response: { 200: ListOf(Equipment), ...errorResponses },
    },
    handler: async (req) => erp.equipment.atPoint(req.principal, req.params.id, req.query),
  });

  r.get('/erp/report', {
    schema: {
      tags: tags('erp'),
      summary: 'Quoted, invoiced, paid, outstanding, expenses and margin per currency over a period (format=csv for CSV)',
      querystring: ReportQuery,
      response: { 200: Report, ...errorResponses },
    },
    handler: async (req, reply) => {
      const { format, ...q } = req.query as Static<typeof ReportQuery>;
      const report = await erp.reports.report(req.principal, q);
      if (format !== 'csv') return report;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="erp-report-${q.from}-${q.to}.csv"`)
        .send(reportCsv(report));
    },
  });
};
