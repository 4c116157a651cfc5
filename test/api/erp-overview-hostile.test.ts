import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { formatLocal } from '../../src/lib/timezone.js';

/**
 * The routes the web application and the ERP added (overview, quotes, invoices, payments, expenses, equipment,
 * the ERP report) against hostile input: the widest date range, ids past what the API hands out, NUL bytes,
 * a 10 MB body and absurd item lists. Always a 4xx naming the field, or a bounded 200; never a 5xx.
 */
let t: TestContext;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let today: string;
const ids = { quote: 0, invoice: 0, expense: 0, equipment: 0 };

const api = (method: string, url: string, payload?: unknown, headers?: Record<string, string>) =>
  t.as(t.adminToken, { method: method as 'GET', url: `/api/v1${url}`, ...(payload === undefined ? {} : { payload: payload as object }), ...(headers ? { headers } : {}) });

async function created(url: string, payload: object): Promise<number> {
  const r = await api('POST', url, payload);
  if (r.status !== 201) throw new Error(`${url}: ${r.status} ${r.text}`);
  return r.body.id;
}

function expect400(r: { status: number; body: any; text: string }, field: string) {
  expect(r.status, r.text).toBe(400);
  expect(r.body).toMatchObject({ status: 400, field });
}

const item = { description: 'Caudalímetro', quantity: '2', unit_price: '150000' };

beforeAll(async () => {
  t = await createTestContext();
  tenant = await seedTenant(t, 'Hostil ERP', 1);
  today = formatLocal(new Date(), t.c.config.reportTimezone).date;
  ids.quote = await created('/quotes', { client_id: tenant.clientId, project_id: tenant.projectId, currency: 'CLP', items: [item] });
  ids.invoice = await created('/invoices', { client_id: tenant.clientId, currency: 'CLP', items: [item] });
  ids.expense = await created('/expenses', { category: 'travel', amount: '50000', expense_date: today, project_id: tenant.projectId });
  ids.equipment = await created('/equipment', { name: 'Logger', serial_number: 'HOSTIL-1', category: 'datalogger' });
});
afterAll(async () => t.close());

describe('dates: years 1900–2199 are accepted and the widest range answers at once, bounded by the documents', () => {
  it('GET /erp/report from 1900-01-01 to 2199-12-31 (JSON and CSV) counts what a normal period counts', async () => {
    const wide = await api('GET', `/erp/report?client_id=${tenant.clientId}&from=1900-01-01&to=2199-12-31`);
    const year = await api('GET', `/erp/report?client_id=${tenant.clientId}&from=${today.slice(0, 4)}-01-01&to=${today.slice(0, 4)}-12-31`);
    expect(wide.status, wide.text).toBe(200);
    expect(wide.body.currencies).toEqual(year.body.currencies);
    const csv = await api('GET', `/erp/report?client_id=${tenant.clientId}&from=1900-01-01&to=2199-12-31&format=csv`);
    expect(csv.status, csv.text).toBe(200);
    expect(csv.text.split('\n').length).toBeGreaterThan(1);
  });

  it('GET /expenses from 1900-01-01 to 2199-12-31 lists the expense', async () => {
    const r = await api('GET', '/expenses?from=1900-01-01&to=2199-12-31');
    expect(r.status, r.text).toBe(200);
    expect(r.body.items.map((e: { id: number }) => e.id)).toContain(ids.expense);
  });

  it.each([
    ['/erp/report?from=0100-01-01&to=9999-12-31', 'from'],
    ['/erp/report?from=2026-01-01&to=9999-12-31', 'to'],
    ['/expenses?from=0100-01-01&to=9999-12-31', 'from'],
    ['/erp/report?from=2026-13-01&to=2026-01-01', 'from'],
    ['/erp/report?from=2026-01-01&to=99999-12-31', 'to'],
    ['/expenses?from=2026-02-30', 'from'],
  ])('GET %s → 400 naming %s', async (url, field) => {
    expect400(await api('GET', url), field);
  });
});

describe('ids past what the API hands out → 400 naming the id, never "bigint out of range"', () => {
  it.each([
    ['GET', '/quotes/1e20', 'id'],
    ['GET', '/quotes/99999999999999999999.pdf', 'id'],
    ['GET', '/invoices/9007199254740993', 'id'],
    ['POST', '/invoices/1e20/payments', 'id'],
    ['GET', '/expenses/0x10', 'id'],
    ['GET', '/equipment/1e20', 'id'],
    ['GET', '/equipment/1e20/assignments', 'id'],
    ['GET', '/points/1e20/equipment', 'id'],
    ['GET', '/quotes?client_id=1e20', 'client_id'],
    ['GET', '/erp/report?from=2026-01-01&to=2026-12-31&project_id=1e20', 'project_id'],
    ['GET', '/points/status?client_id=1e20', 'client_id'],
  ])('%s %s → 400 naming %s', async (method, url, field) => {
    const body = method === 'POST' ? { amount: '1', paid_at: today, method: 'cash' } : undefined;
    expect400(await api(method, url, body), field);
  });

  it('a client_id of a client that does not exist → 4xx, not 5xx (quote and invoice)', async () => {
    for (const url of ['/quotes', '/invoices']) {
      const r = await api('POST', url, { client_id: 9_007_199_254_740_991, currency: 'CLP', items: [item] });
      expect([400, 404, 409], r.text).toContain(r.status);
    }
  });
});

describe('NUL bytes, absurd amounts and item lists', () => {
  it('a NUL byte in a description, a supplier, a serial number or a query → 400 naming it', async () => {
    expect400(await api('POST', '/quotes', { client_id: tenant.clientId, currency: 'CLP', items: [{ ...item, description: 'a\u0000b' }] }), 'items[0].description');
    const expense = await api('POST', '/expenses', { category: 'other', amount: '1', expense_date: today, project_id: tenant.projectId, supplier: 'x\u0000' });
    expect(expense.status, expense.text).toBe(400);
    expect(expense.text).toContain('supplier');
    const equipment = await api('POST', '/equipment', { name: 'n', serial_number: 'S\u0000N', category: 'modem' });
    expect(equipment.status, equipment.text).toBe(400);
    expect(equipment.text).toContain('serial_number');
    expect((await api('GET', '/quotes?q=%00')).status).toBe(400);
  });

  it.each([
    ['exponent', { ...item, unit_price: '1e9' }, 'unit_price'],
    ['binary float', { ...item, quantity: 1.5 }, 'quantity'],
    ['beyond the column', { ...item, unit_price: '9'.repeat(40) }, 'unit_price'],
    ['negative', { ...item, quantity: '-1' }, 'quantity'],
    ['discount above 100', { ...item, discount_percent: '100.5' }, 'discount_percent'],
  ])('an item with a %s amount → 400 naming it', async (_what, bad, field) => {
    const r = await api('POST', '/quotes', { client_id: tenant.clientId, currency: 'CLP', items: [bad] });
    expect(r.status, r.text).toBe(400);
    expect(r.body.field).toContain(field);
  });

  it('a payment larger than the balance, or of 0 → 400/409, and the invoice is unchanged', async () => {
    expect((await api('POST', `/invoices/${ids.invoice}/status`, { status: 'ISSUED' })).status).toBe(200);
    for (const amount of ['999999999999', '0', '-5']) {
      const r = await api('POST', `/invoices/${ids.invoice}/payments`, { amount, paid_at: today, method: 'transfer' });
      expect([400, 409], `${amount}: ${r.text}`).toContain(r.status);
    }
    const invoice = await api('GET', `/invoices/${ids.invoice}`);
    expect(invoice.body).toMatchObject({ status: 'ISSUED', paid_amount: '0' });
  });

  it('100,000 items in one quote → 4xx, and the API keeps answering', async () => {
    const items = Array.from({ length: 100_000 }, () => item);
    const r = await api('POST', '/quotes', { client_id: tenant.clientId, currency: 'CLP', items });
    expect([400, 413], r.text.slice(0, 300)).toContain(r.status);
    expect((await api('GET', `/quotes/${ids.quote}`)).status).toBe(200);
  });
});

describe('a 10 MB body', () => {
  it.each([
    ['POST', '/quotes'],
    ['POST', '/quotes/preview'],
    ['PATCH', '/quotes/{quote}'],
    ['POST', '/invoices/{invoice}/payments'],
    ['POST', '/expenses'],
    ['POST', '/equipment'],
  ])('%s %s → 413 problem, and the API keeps answering', async (method, path) => {
    const url = path.replace('{quote}', String(ids.quote)).replace('{invoice}', String(ids.invoice));
    const body = JSON.stringify({ notes: 'x'.repeat(10 * 1024 * 1024) });
    const r = await t.as(t.adminToken, { method: method as 'POST', url: `/api/v1${url}`, payload: body, headers: { 'content-type': 'application/json' } });
    expect(r.status, r.text.slice(0, 300)).toBe(413);
    expect(r.body).toMatchObject({ status: 413 });
    expect((await api('GET', '/dashboard')).status).toBe(200);
  });
});
