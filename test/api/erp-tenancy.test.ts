import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { formatLocal } from '../../src/lib/timezone.js';

/**
 * Every ERP route as a client user: its own client's quotes and invoices (and their PDFs) are readable,
 * nothing is writable (403), another client's documents do not exist (404), and every other ERP route is 403.
 * The route list is checked against /openapi.json, so a new ERP route without a row here fails the test.
 */
let t: TestContext;
let clientToken: string;
const ids = { ownQuote: 0, otherQuote: 0, ownInvoice: 0, otherInvoice: 0, expense: 0, equipment: 0, point: 0, project: 0, client: 0 };
let today: string;

beforeAll(async () => {
  t = await createTestContext();
  const mine = await seedTenant(t, 'Cliente Propio', 1);
  const theirs = await seedTenant(t, 'Cliente Ajeno', 1);
  today = formatLocal(new Date(), t.c.config.reportTimezone).date;
  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'lector@propio.cl', 'lector-password'));
  const admin = async (method: 'POST', url: string, payload: object) => {
    const r = await t.as(t.adminToken, { method, url, payload });
    if (r.status >= 300) throw new Error(`${url}: ${r.text}`);
    return r.body;
  };
  const quoteOf = (clientId: number) => admin('POST', '/api/v1/quotes', { client_id: clientId, currency: 'CLP', items: [{ description: 'Kit', quantity: '1', unit_price: '1000' }] });
  ids.ownQuote = (await quoteOf(mine.clientId)).id;
  ids.otherQuote = (await quoteOf(theirs.clientId)).id;
  const invoiceOf = (clientId: number) => admin('POST', '/api/v1/invoices', { client_id: clientId, currency: 'CLP', items: [{ description: 'Kit', quantity: '1', unit_price: '1000' }] });
  ids.ownInvoice = (await invoiceOf(mine.clientId)).id;
  ids.otherInvoice = (await invoiceOf(theirs.clientId)).id;
  ids.expense = (await admin('POST', '/api/v1/expenses', { category: 'other', amount: '1000', expense_date: today, project_id: mine.projectId })).id;
  ids.equipment = (await admin('POST', '/api/v1/equipment', { name: 'Logger', serial_number: 'TEN-1', category: 'datalogger' })).id;
  ids.point = mine.points[0]!;
  ids.project = mine.projectId;
  ids.client = mine.clientId;
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'PATCH';
/** [method, path template (as in /openapi.json), concrete URL, body, status for the client user]. */
function table(): [Method, string, string, object | undefined, number][] {
  const item = [{ description: 'x', quantity: '1', unit_price: '1' }];
  return [
    ['GET', '/api/v1/quotes', '/api/v1/quotes', undefined, 200],
    ['POST', '/api/v1/quotes', '/api/v1/quotes', { client_id: ids.client, currency: 'CLP', items: item }, 403],
    ['POST', '/api/v1/quotes/preview', '/api/v1/quotes/preview', { currency: 'CLP', items: item }, 403],
    ['GET', '/api/v1/quotes/{id}', `/api/v1/quotes/${ids.ownQuote}`, undefined, 200],
    ['GET', '/api/v1/quotes/{id}', `/api/v1/quotes/${ids.otherQuote}`, undefined, 404],
    ['PATCH', '/api/v1/quotes/{id}', `/api/v1/quotes/${ids.ownQuote}`, { notes: 'x' }, 403],
    ['PATCH', '/api/v1/quotes/{id}', `/api/v1/quotes/${ids.otherQuote}`, { notes: 'x' }, 403],
    ['POST', '/api/v1/quotes/{id}/status', `/api/v1/quotes/${ids.ownQuote}/status`, { status: 'SENT' }, 403],
    ['GET', '/api/v1/quotes/{id}.pdf', `/api/v1/quotes/${ids.ownQuote}.pdf`, undefined, 200],
    ['GET', '/api/v1/quotes/{id}.pdf', `/api/v1/quotes/${ids.otherQuote}.pdf`, undefined, 404],
    ['GET', '/api/v1/invoices', '/api/v1/invoices', undefined, 200],
    ['POST', '/api/v1/invoices', '/api/v1/invoices', { client_id: ids.client, currency: 'CLP', items: item }, 403],
    ['GET', '/api/v1/invoices/{id}', `/api/v1/invoices/${ids.ownInvoice}`, undefined, 200],
    ['GET', '/api/v1/invoices/{id}', `/api/v1/invoices/${ids.otherInvoice}`, undefined, 404],
    ['PATCH', '/api/v1/invoices/{id}', `/api/v1/invoices/${ids.ownInvoice}`, { notes: 'x' }, 403],
    ['POST', '/api/v1/invoices/{id}/status', `/api/v1/invoices/${ids.ownInvoice}/status`, { status: 'ISSUED' }, 403],
    ['POST', '/api/v1/invoices/{id}/payments', `/api/v1/invoices/${ids.ownInvoice}/payments`, { amount: '1', paid_at: today, method: 'cash' }, 403],
    ['GET', '/api/v1/invoices/{id}.pdf', `/api/v1/invoices/${ids.ownInvoice}.pdf`, undefined, 200],
    ['GET', '/api/v1/invoices/{id}.pdf', `/api/v1/invoices/${ids.otherInvoice}.pdf`, undefined, 404],
    ['GET', '/api/v1/expenses', '/api/v1/expenses', undefined, 403],
    ['POST', '/api/v1/expenses', '/api/v1/expenses', { category: 'other', amount: '1', expense_date: today, project_id: ids.project }, 403],
    ['GET', '/api/v1/expenses/{id}', `/api/v1/expenses/${ids.expense}`, undefined, 403],
    ['GET', '/api/v1/equipment', '/api/v1/equipment', undefined, 403],
    ['GET', '/api/v1/equipment', '/api/v1/equipment?warranty_ends_within_days=30', undefined, 403],
    ['POST', '/api/v1/equipment', '/api/v1/equipment', { name: 'x', serial_number: 'TEN-2', category: 'modem' }, 403],
    ['GET', '/api/v1/equipment/{id}', `/api/v1/equipment/${ids.equipment}`, undefined, 403],
    ['PATCH', '/api/v1/equipment/{id}', `/api/v1/equipment/${ids.equipment}`, { name: 'y' }, 403],
    ['POST', '/api/v1/equipment/{id}/assignments', `/api/v1/equipment/${ids.equipment}/assignments`, { point_id: ids.point }, 403],
    ['GET', '/api/v1/equipment/{id}/assignments', `/api/v1/equipment/${ids.equipment}/assignments`, undefined, 403],
    ['POST', '/api/v1/equipment/{id}/maintenance', `/api/v1/equipment/${ids.equipment}/maintenance`, { performed_on: today, kind: 'inspection' }, 403],
    ['GET', '/api/v1/equipment/{id}/maintenance', `/api/v1/equipment/${ids.equipment}/maintenance`, undefined, 403],
    ['GET', '/api/v1/points/{id}/equipment', `/api/v1/points/${ids.point}/equipment`, undefined, 403],
    ['GET', '/api/v1/erp/report', `/api/v1/erp/report?client_id=${ids.client}&from=2020-01-01&to=2030-12-31`, undefined, 403],
    ['GET', '/api/v1/erp/report', `/api/v1/erp/report?from=2020-01-01&to=2030-12-31&format=csv`, undefined, 403],
  ];
}

const ERP_PATH = /^\/api\/v1\/(quotes|invoices|expenses|equipment|erp)\b|^\/api\/v1\/points\/\{id\}\/equipment$/;

describe('ERP tenancy', () => {
  it('has a row for every ERP route of /openapi.json', async () => {
    const spec = (await t.as(null, { method: 'GET', url: '/openapi.json' })).body;
    const routes = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => ERP_PATH.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const covered = [...new Set(table().map(([m, path]) => `${m} ${path}`))].sort();
    expect(covered).toEqual(routes);
    expect(routes.length).toBeGreaterThanOrEqual(25);
  });

  // The rows' ids exist only after beforeAll: the test names use the path templates, the bodies read the rows then.
  it.each(table().map((row, i) => [row[0], row[1], row[4], i] as const))('client user: %s %s → %s (row %s)', async (_m, _p, _w, i) => {
    const [method, , url, body, want] = table()[i]!;
    const r = await t.as(clientToken, { method, url, ...(body ? { payload: body } : {}) });
    expect(r.status, r.text).toBe(want);
    if (want === 200 && url.endsWith('.pdf')) expect(r.headers['content-type']).toBe('application/pdf');
  });

  it('lists only its own client quotes and invoices, whatever the filter', async () => {
    const quotes = await t.as(clientToken, { method: 'GET', url: '/api/v1/quotes' });
    expect(quotes.body.items.map((q: any) => q.id)).toEqual([ids.ownQuote]);
    const filtered = await t.as(clientToken, { method: 'GET', url: `/api/v1/invoices?client_id=${ids.client + 1}` });
    expect(filtered.body).toEqual({ items: [], total: 0 });
    const invoices = await t.as(clientToken, { method: 'GET', url: '/api/v1/invoices' });
    expect(invoices.body.items.map((q: any) => q.id)).toEqual([ids.ownInvoice]);
  });

  it('nothing changed through the refused writes', async () => {
    const q = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/quotes/${ids.ownQuote}` });
    expect(q.body).toMatchObject({ status: 'DRAFT', notes: null });
    const e = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/equipment/${ids.equipment}` });
    expect(e.body).toMatchObject({ name: 'Logger', point_id: null });
  });

  it('staff (an operator) manage every ERP route', async () => {
    await t.as(t.adminToken, { method: 'POST', url: '/api/v1/users', payload: { email: 'op@erp.cl', password: 'operator-password', role: 'operator' } });
    const op = await t.login('op@erp.cl', 'operator-password');
    for (const [method, , url, body] of table()) {
      const r = await t.as(op, { method, url, ...(body ? { payload: body } : {}) });
      expect(r.status, `${method} ${url}: ${r.text}`).toBeLessThan(300);
    }
  });
});
