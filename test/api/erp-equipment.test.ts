import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { formatLocal } from '../../src/lib/timezone.js';
import { addDays } from '../../src/erp/documents.js';

/** Expenses, equipment (warranty, assignments, maintenance) and the ERP report through the API. */
let t: TestContext;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let today: string;
let year: string;

beforeAll(async () => {
  t = await createTestContext();
  a = await seedTenant(t, 'Regantes Maule', 2);
  b = await seedTenant(t, 'Sanitaria Costa', 1);
  today = formatLocal(new Date(), t.c.config.reportTimezone).date;
  year = today.slice(0, 4);
});
afterAll(async () => t.close());

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => t.as(t.adminToken, { method, url, payload: payload as object });

describe('expenses', () => {
  it('records an expense with a GAS number, IVA and total computed', async () => {
    const r = await api('POST', '/api/v1/expenses', {
      category: 'travel', supplier: 'Copec', amount: '45990', expense_date: today, project_id: a.projectId, point_id: a.points[0], attachment_ref: 'boleta-123.pdf',
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      number: `GAS-${year}-0001`, currency: 'CLP', amount: '45990', tax_rate: '19', tax_amount: '8738', total: '54728', // 8738.1
      client_id: a.clientId, project_id: a.projectId, point_id: a.points[0], attachment_ref: 'boleta-123.pdf',
    });
    const got = await api('GET', `/api/v1/expenses/${r.body.id}`);
    expect(got.body).toEqual(r.body);
  });

  it.each([
    [{ total: '1' }, 'total'],
    [{ amount: '10.5' }, 'amount'], // CLP has no decimals
    [{ point_id: 999999 }, 'point_id'],
    [{ category: 'food' }, 'category'],
  ])('refuses %j naming %s', async (extra, field) => {
    const r = await api('POST', '/api/v1/expenses', { category: 'other', amount: '1000', expense_date: today, project_id: a.projectId, ...extra });
    expect(r.status, r.text).toBe(400);
    expect(r.body.field).toBe(field);
  });

  it("refuses a point of another project", async () => {
    const r = await api('POST', '/api/v1/expenses', { category: 'other', amount: '1000', expense_date: today, project_id: a.projectId, point_id: b.points[0] });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('point_id');
  });

  it('lists by project, category and dates', async () => {
    await api('POST', '/api/v1/expenses', { category: 'services', amount: '1000', tax_rate: '0', expense_date: addDays(today, -40), project_id: b.projectId });
    const byProject = await api('GET', `/api/v1/expenses?project_id=${b.projectId}`);
    expect(byProject.body.items.map((e: any) => [e.category, e.total])).toEqual([['services', '1000']]);
    const recent = await api('GET', `/api/v1/expenses?from=${addDays(today, -10)}&to=${today}`);
    expect(recent.body.items.every((e: any) => e.expense_date >= addDays(today, -10))).toBe(true);
    const backwards = await api('GET', `/api/v1/expenses?from=${today}&to=${addDays(today, -1)}`);
    expect(backwards.status).toBe(400);
  });
});

describe('equipment', () => {
  let flowmeter: any;

  it('registers equipment with is_under_warranty and refuses a duplicate serial, whatever the case', async () => {
    const r = await api('POST', '/api/v1/equipment', {
      name: 'Caudalímetro Siemens MAG 5100', serial_number: 'SN-ab-001', category: 'flowmeter', manufacturer: 'Siemens', model: 'MAG 5100W',
      specifications: { diameter_mm: 100, output: '4-20 mA' }, purchase_date: addDays(today, -100), warranty_expires: addDays(today, 20),
    });
    expect(r.status, r.text).toBe(201);
    flowmeter = r.body;
    expect(r.body).toMatchObject({ status: 'in_stock', is_under_warranty: true, specifications: { diameter_mm: 100 }, project_id: null, point_id: null });
    const dup = await api('POST', '/api/v1/equipment', { name: 'Otro', serial_number: 'sn-AB-001', category: 'modem' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'SERIAL_NUMBER_TAKEN', field: 'serial_number' });
    const other = (await api('POST', '/api/v1/equipment', { name: 'Módem', serial_number: 'MDM-9', category: 'modem' })).body;
    const renamed = await api('PATCH', `/api/v1/equipment/${other.id}`, { serial_number: 'SN-AB-001' });
    expect(renamed.status).toBe(409);
  });

  it('answers which warranties end within N days and which have ended', async () => {
    const expired = (await api('POST', '/api/v1/equipment', { name: 'Logger viejo', serial_number: 'DL-OLD', category: 'datalogger', warranty_expires: addDays(today, -1) })).body;
    expect(expired.is_under_warranty).toBe(false);
    await api('POST', '/api/v1/equipment', { name: 'Panel', serial_number: 'PS-1', category: 'solar_panel', warranty_expires: addDays(today, 400) });
    const soon = await api('GET', '/api/v1/equipment?warranty_ends_within_days=30');
    expect(soon.body.items.map((e: any) => e.serial_number)).toEqual(['SN-ab-001']);
    const year_ = await api('GET', '/api/v1/equipment?warranty_ends_within_days=365');
    expect(year_.body.items.map((e: any) => e.serial_number)).toEqual(['SN-ab-001']);
    const bad = await api('GET', '/api/v1/equipment?warranty_ends_within_days=-1');
    expect(bad.status).toBe(400);
  });

  it('assigns to a point with history (who, when, from, to) and lists what a point has installed', async () => {
    const first = await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { point_id: a.points[0], notes: 'instalado en pozo 1' });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ from_project_id: null, from_point_id: null, to_project_id: a.projectId, to_point_id: a.points[0], assigned_by: expect.any(Number) });
    const installed = await api('GET', `/api/v1/equipment/${flowmeter.id}`);
    expect(installed.body).toMatchObject({ status: 'installed', project_id: a.projectId, point_id: a.points[0] });
    const atPoint = await api('GET', `/api/v1/points/${a.points[0]}/equipment`);
    expect(atPoint.body.items.map((e: any) => e.id)).toEqual([flowmeter.id]);
    const same = await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { point_id: a.points[0] });
    expect(same.status).toBe(409);
    const mismatch = await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { project_id: b.projectId, point_id: a.points[1] });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.field).toBe('point_id');
    await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { point_id: a.points[1] });
    const history = await api('GET', `/api/v1/equipment/${flowmeter.id}/assignments`);
    expect(history.body.items.map((h: any) => [h.from_point_id, h.to_point_id])).toEqual([[null, a.points[0]], [a.points[0], a.points[1]]]);
    expect((await api('GET', `/api/v1/points/${a.points[0]}/equipment`)).body.items).toEqual([]);
    const stock = await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { project_id: null, point_id: null });
    expect(stock.body).toMatchObject({ from_point_id: a.points[1], to_point_id: null, to_project_id: null });
    expect((await api('GET', `/api/v1/equipment/${flowmeter.id}`)).body.status).toBe('in_stock');
    expect((await api('GET', '/api/v1/points/999999/equipment')).status).toBe(404);
    const fakeInstall = await api('PATCH', `/api/v1/equipment/${flowmeter.id}`, { status: 'installed' });
    expect(fakeInstall.status).toBe(400);
    expect(fakeInstall.body.field).toBe('status');
    const repair = await api('PATCH', `/api/v1/equipment/${flowmeter.id}`, { status: 'under_repair' });
    expect(repair.body.status).toBe('under_repair');
  });

  it('records maintenance; a cost becomes a maintenance expense with a GAS number', async () => {
    await api('POST', `/api/v1/equipment/${flowmeter.id}/assignments`, { point_id: a.points[0] });
    const free = await api('POST', `/api/v1/equipment/${flowmeter.id}/maintenance`, { performed_on: today, kind: 'inspection', notes: 'sin novedad' });
    expect(free.status, free.text).toBe(201);
    expect(free.body).toMatchObject({ cost: null, expense_id: null, expense_number: null });
    const paid = await api('POST', `/api/v1/equipment/${flowmeter.id}/maintenance`, { performed_on: today, kind: 'calibration', cost: '120000', supplier: 'Metrología SpA' });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.body.expense_number).toMatch(new RegExp(`^GAS-${year}-\\d{4}$`));
    const expense = await api('GET', `/api/v1/expenses/${paid.body.expense_id}`);
    expect(expense.body).toMatchObject({ category: 'maintenance', amount: '120000', tax_amount: '22800', total: '142800', project_id: a.projectId, point_id: a.points[0], equipment_id: flowmeter.id, supplier: 'Metrología SpA' });
    const log = await api('GET', `/api/v1/equipment/${flowmeter.id}/maintenance`);
    expect(log.body.items.map((m: any) => m.kind)).toEqual(['inspection', 'calibration']);
    const stockItem = (await api('POST', '/api/v1/equipment', { name: 'Repuesto', serial_number: 'SP-1', category: 'other' })).body;
    const noProject = await api('POST', `/api/v1/equipment/${stockItem.id}/maintenance`, { performed_on: today, kind: 'corrective', cost: '1000' });
    expect(noProject.status).toBe(400);
    expect(noProject.body.field).toBe('project_id');
    const decimals = await api('POST', `/api/v1/equipment/${stockItem.id}/maintenance`, { performed_on: today, kind: 'corrective', cost: '10.5', project_id: a.projectId });
    expect(decimals.body.field).toBe('cost');
  });
});

describe('ERP report', () => {
  it('sums quoted, invoiced, paid, outstanding, expenses and margin per currency, in JSON and CSV', async () => {
    const c = await seedTenant(t, 'Reporte SA', 1);
    const quote = (await api('POST', '/api/v1/quotes', { client_id: c.clientId, project_id: c.projectId, currency: 'CLP', items: [{ description: 'Kit', quantity: '1', unit_price: '1000000' }] })).body;
    await api('POST', `/api/v1/quotes/${quote.id}/status`, { status: 'SENT' });
    await api('POST', `/api/v1/quotes/${quote.id}/status`, { status: 'ACCEPTED' });
    const draft = await api('POST', '/api/v1/quotes', { client_id: c.clientId, project_id: c.projectId, currency: 'CLP', items: [{ description: 'No enviada', quantity: '1', unit_price: '5' }] });
    expect(draft.status).toBe(201);
    const inv = (await api('POST', '/api/v1/invoices', { quote_id: quote.id })).body;
    await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'ISSUED' });
    await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '500000', paid_at: today, method: 'transfer' });
    await api('POST', '/api/v1/expenses', { category: 'installation', amount: '200000', expense_date: today, project_id: c.projectId });
    const ufQuote = (await api('POST', '/api/v1/quotes', { client_id: c.clientId, currency: 'UF', items: [{ description: 'UF', quantity: '1', unit_price: '10' }] })).body;
    await api('POST', `/api/v1/quotes/${ufQuote.id}/status`, { status: 'SENT' });

    const from = addDays(today, -1);
    const to = addDays(today, 1);
    const r = await api('GET', `/api/v1/erp/report?client_id=${c.clientId}&from=${from}&to=${to}`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      from, to, client_id: c.clientId, project_id: null,
      currencies: [
        { currency: 'CLP', quoted: '1190000', invoiced: '1190000', paid: '500000', outstanding: '690000', expenses: '238000', margin: '800000' },
        { currency: 'UF', quoted: '11.90', invoiced: '0.00', paid: '0.00', outstanding: '0.00', expenses: '0.00', margin: '0.00' },
      ],
    });
    const byProject = await api('GET', `/api/v1/erp/report?project_id=${c.projectId}&from=${from}&to=${to}`);
    expect(byProject.body.currencies.map((x: any) => x.currency)).toEqual(['CLP']); // the UF quote has no project
    const csv = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/erp/report?client_id=${c.clientId}&from=${from}&to=${to}&format=csv` });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toBe('currency,quoted,invoiced,paid,outstanding,expenses,margin\nCLP,1190000,1190000,500000,690000,238000,800000\nUF,11.90,0.00,0.00,0.00,0.00,0.00\n');
    const before = await api('GET', `/api/v1/erp/report?client_id=${c.clientId}&from=2020-01-01&to=2020-12-31`);
    expect(before.body.currencies).toEqual([]);
    const backwards = await api('GET', `/api/v1/erp/report?from=${to}&to=${from}`);
    expect(backwards.status).toBe(400);
    const missing = await api('GET', '/api/v1/erp/report');
    expect(missing.status).toBe(400);
  });
});
