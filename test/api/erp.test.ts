import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { formatLocal } from '../../src/lib/timezone.js';
import { addDays } from '../../src/erp/documents.js';

/** Quotes → invoices → payments through the API: numbering, totals, state machines, immutability. */
let t: TestContext;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let other: Awaited<ReturnType<typeof seedTenant>>;
let today: string;
let year: string;

beforeAll(async () => {
  t = await createTestContext();
  tenant = await seedTenant(t, 'Agrícola Sur', 1);
  other = await seedTenant(t, 'Minera Norte', 1);
  today = formatLocal(new Date(), t.c.config.reportTimezone).date;
  year = today.slice(0, 4);
});
afterAll(async () => t.close());

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => t.as(t.adminToken, { method, url, payload: payload as object });
const quoteBody = (over: Record<string, unknown> = {}) => ({
  client_id: tenant.clientId,
  project_id: tenant.projectId,
  currency: 'CLP',
  items: [
    { description: 'Caudalímetro electromagnético DN100', quantity: '1', unit_price: '850000' },
    { description: 'Instalación y puesta en marcha', quantity: '2', unit_price: '75000', discount_percent: '0' },
  ],
  ...over,
});

describe('quotes', () => {
  it('creates a DRAFT quote with a COT number and server-computed totals as decimal strings', async () => {
    const r = await api('POST', '/api/v1/quotes', quoteBody());
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      number: `COT-${year}-0001`,
      status: 'DRAFT',
      currency: 'CLP',
      tax_rate: '19',
      issue_date: today,
      valid_until: addDays(today, 30),
      subtotal: '1000000',
      tax_amount: '190000',
      total: '1190000',
      total_clp: null,
      next_statuses: ['SENT'],
    });
    expect(r.body.items.map((i: any) => i.line_total)).toEqual(['850000', '150000']);
    const again = await api('POST', '/api/v1/quotes', quoteBody());
    expect(again.body.number).toBe(`COT-${year}-0002`);
  });

  it('computes UF quotes at 2 decimals, with the CLP equivalent at uf_value', async () => {
    const r = await api('POST', '/api/v1/quotes', quoteBody({
      currency: 'UF', uf_value: '37000.55', tax_rate: '19',
      items: [{ description: 'Servicio mensual de telemetría', quantity: '3', unit_price: '0.335' }, { description: 'Datalogger', quantity: '1', unit_price: '11.49', discount_percent: '100' }],
    }));
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ subtotal: '1.01', tax_amount: '0.19', total: '1.20', total_clp: '44401', uf_value: '37000.55' });
    expect(r.body.items.map((i: any) => [i.discount_percent, i.line_total])).toEqual([['0', '1.01'], ['100', '0.00']]);
  });

  it('takes 0 % IVA (exempt)', async () => {
    const r = await api('POST', '/api/v1/quotes', quoteBody({ tax_rate: '0' }));
    expect(r.body).toMatchObject({ tax_rate: '0', subtotal: '1000000', tax_amount: '0', total: '1000000' });
  });

  it('keeps amounts beyond 2^53 exact and refuses those beyond 10^17', async () => {
    const ok = await api('POST', '/api/v1/quotes', quoteBody({ items: [{ description: 'x', quantity: '1', unit_price: '9007199254740993' }] }));
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ subtotal: '9007199254740993', tax_amount: '1711367858400789', total: '10718567113141782' });
    const fetched = await api('GET', `/api/v1/quotes/${ok.body.id}`);
    expect(fetched.body.total).toBe('10718567113141782');
    const tooBig = await api('POST', '/api/v1/quotes', quoteBody({ items: [{ description: 'x', quantity: '10', unit_price: '10000000000000000' }] }));
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.field).toBe('items[0].unit_price');
    const ufExact = await api('POST', '/api/v1/quotes', quoteBody({ currency: 'UF', tax_rate: '0', items: [{ description: 'x', quantity: '1', unit_price: '90071992547409.93' }] }));
    expect(ufExact.body.total).toBe('90071992547409.93'); // 2^53 + 1 hundredths
    const ufTooBig = await api('POST', '/api/v1/quotes', quoteBody({ currency: 'UF', items: [{ description: 'x', quantity: '1', unit_price: '99999999999999999.99' }] }));
    expect(ufTooBig.status).toBe(400);
    expect(ufTooBig.body.field).toBe('items'); // the line fits; with IVA the total does not
  });

  it.each([
    [{ subtotal: '1' }, 'subtotal'],
    [{ total: '1190000' }, 'total'],
    [{ tax_amount: '0' }, 'tax_amount'],
    [{ items: [{ description: 'a', quantity: '1', unit_price: '5', line_total: '5' }] }, 'items[0].line_total'],
  ])('refuses a client-sent total %j naming %s', async (extra, field) => {
    const r = await api('POST', '/api/v1/quotes', quoteBody(extra));
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
    expect(r.body.detail).toMatch(/computed by the server/);
  });

  it.each([
    [{ items: [{ description: 'a', quantity: 1, unit_price: '5' }] }, 'items.0.quantity'], // a JSON number: money is text
    [{ items: [{ description: 'a', quantity: '1', unit_price: '5', discount_percent: '150' }] }, 'items[0].discount_percent'],
    [{ tax_rate: '100.5' }, 'tax_rate'],
    [{ currency: 'USD' }, 'currency'],
    [{ items: [] }, 'items'],
    [{ project_id: 999999 }, 'project_id'],
    [{ client_id: 999999 }, 'client_id'],
    [{ valid_until: '2001-01-01' }, 'valid_until'],
    [{ valid_until: '2026-02-30' }, 'valid_until'],
    [{ uf_value: '37000' }, 'uf_value'], // a CLP quote has no UF value
    [{ status: 'ACCEPTED' }, 'status'],
    [{ number: 'COT-1999-0001' }, 'number'],
  ])('refuses %j naming %s', async (extra, field) => {
    const r = await api('POST', '/api/v1/quotes', quoteBody(extra));
    expect(r.status, r.text).toBe(400);
    expect(r.body.field).toBe(field);
  });

  it("refuses a project of another client", async () => {
    const r = await api('POST', '/api/v1/quotes', quoteBody({ project_id: other.projectId }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ field: 'project_id', detail: expect.stringMatching(/belongs to client/) });
  });

  it('a failed creation leaves no gap in the numbers', async () => {
    const before = await api('POST', '/api/v1/quotes', quoteBody());
    const failed = await api('POST', '/api/v1/quotes', quoteBody({ project_id: 999999 }));
    expect(failed.status).toBe(400);
    const after = await api('POST', '/api/v1/quotes', quoteBody());
    const n = (s: string) => Number(s.split('-')[2]);
    expect(n(after.body.number)).toBe(n(before.body.number) + 1);
  });

  it('previews the totals a quote would have, by the same rules, storing nothing', async () => {
    const before = (await api('GET', '/api/v1/quotes?limit=1')).body.total;
    const clp = await api('POST', '/api/v1/quotes/preview', { currency: 'CLP', items: quoteBody().items });
    expect(clp.status, clp.text).toBe(200);
    expect(clp.body).toEqual({ currency: 'CLP', tax_rate: '19', line_totals: ['850000', '150000'], subtotal: '1000000', tax_amount: '190000', total: '1190000', total_clp: null });
    const uf = await api('POST', '/api/v1/quotes/preview', {
      currency: 'UF', uf_value: '37000.55', tax_rate: '0',
      items: [{ description: 'Servicio', quantity: '3', unit_price: '0.335' }, { description: 'Visita', quantity: '1', unit_price: '10', discount_percent: '12.5' }],
    });
    expect(uf.status, uf.text).toBe(200);
    expect(uf.body).toMatchObject({ line_totals: ['1.01', '8.75'], subtotal: '9.76', tax_amount: '0.00', total: '9.76', total_clp: '361125' }); // 1.005 → 1.01 half-up
    expect((await api('GET', '/api/v1/quotes?limit=1')).body.total).toBe(before);
    const computed = await api('POST', '/api/v1/quotes/preview', { currency: 'CLP', items: quoteBody().items, total: '1' });
    expect(computed.status).toBe(400);
    expect(computed.body.field).toBe('total');
    const bad = await api('POST', '/api/v1/quotes/preview', { currency: 'CLP', items: [{ description: 'x', quantity: '1', unit_price: '1', discount_percent: '101' }] });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
  });

  it('changes only while DRAFT; a PATCH recomputes the totals', async () => {
    const q = (await api('POST', '/api/v1/quotes', quoteBody())).body;
    const patched = await api('PATCH', `/api/v1/quotes/${q.id}`, { tax_rate: '10', items: [{ description: 'Visita técnica', quantity: '1.5', unit_price: '33333' }] });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ subtotal: '50000', tax_amount: '5000', total: '55000', number: q.number }); // 49999.5 → 50000
    const computed = await api('PATCH', `/api/v1/quotes/${q.id}`, { total: '1' });
    expect(computed.status).toBe(400);
    expect((await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'SENT' })).status).toBe(200);
    const locked = await api('PATCH', `/api/v1/quotes/${q.id}`, { notes: 'cambio' });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('QUOTE_NOT_EDITABLE');
  });

  it('moves DRAFT → SENT → ACCEPTED and refuses other moves with 409 naming the allowed next states', async () => {
    const q = (await api('POST', '/api/v1/quotes', quoteBody())).body;
    const early = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'ACCEPTED' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/allowed next states: SENT$/);
    expect(early.body.details.allowed_next).toEqual(['SENT']);
    const sent = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'SENT' });
    expect(sent.body).toMatchObject({ status: 'SENT', next_statuses: ['ACCEPTED', 'REJECTED'] });
    const notYet = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'EXPIRED' });
    expect(notYet.status).toBe(409);
    expect(notYet.body.detail).toMatch(/valid until .*allowed next states: ACCEPTED, REJECTED/);
    const accepted = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'ACCEPTED' });
    expect(accepted.body).toMatchObject({ status: 'ACCEPTED', next_statuses: [] });
    const final = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'REJECTED' });
    expect(final.status).toBe(409);
    expect(final.body.detail).toMatch(/none \(final state\)/);
  });

  it('a SENT quote past valid_until reads as EXPIRED (applied lazily on read)', async () => {
    const q = (await api('POST', '/api/v1/quotes', quoteBody())).body;
    await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'SENT' });
    // Time passes: the validity ended yesterday.
    await t.c.db.query('UPDATE quotes SET valid_until = $2 WHERE id = $1', [q.id, addDays(today, -1)]);
    const read = await api('GET', `/api/v1/quotes/${q.id}`);
    expect(read.body.status).toBe('EXPIRED');
    const accept = await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'ACCEPTED' });
    expect(accept.status).toBe(409);
    const listed = await api('GET', `/api/v1/quotes?status=EXPIRED`);
    expect(listed.body.items.map((x: any) => x.id)).toContain(q.id);
  });

  it('lists with filters and pagination', async () => {
    const all = await api('GET', `/api/v1/quotes?client_id=${tenant.clientId}&limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(2);
    expect(all.body.total).toBeGreaterThan(2);
    const none = await api('GET', `/api/v1/quotes?client_id=${other.clientId}`);
    expect(none.body).toEqual({ items: [], total: 0 });
  });
});

describe('invoices and payments', () => {
  async function acceptedQuote(over: Record<string, unknown> = {}) {
    const q = (await api('POST', '/api/v1/quotes', quoteBody(over))).body;
    await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'SENT' });
    await api('POST', `/api/v1/quotes/${q.id}/status`, { status: 'ACCEPTED' });
    return q;
  }

  it('invoices an ACCEPTED quote, copying its items and currency, once', async () => {
    const q = await acceptedQuote({ currency: 'UF', uf_value: '38000', items: [{ description: 'Plan anual', quantity: '12', unit_price: '2.5' }] });
    const inv = await api('POST', '/api/v1/invoices', { quote_id: q.id });
    expect(inv.status, inv.text).toBe(201);
    expect(inv.body).toMatchObject({
      number: expect.stringMatching(new RegExp(`^FAC-${year}-\\d{4}$`)),
      status: 'DRAFT', quote_id: q.id, client_id: tenant.clientId, currency: 'UF', subtotal: '30.00', tax_amount: '5.70', total: '35.70',
      paid_amount: '0.00', balance: '35.70', due_date: addDays(today, 30), next_statuses: ['ISSUED', 'CANCELLED'],
    });
    expect(inv.body.items).toEqual(q.items);
    const twice = await api('POST', '/api/v1/invoices', { quote_id: q.id });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('QUOTE_ALREADY_INVOICED');
    const withItems = await api('POST', '/api/v1/invoices', { quote_id: q.id, items: [{ description: 'x', quantity: '1', unit_price: '1' }] });
    expect(withItems.status).toBe(400);
    expect(withItems.body.field).toBe('items');
  });

  it('refuses to invoice a quote that is not ACCEPTED', async () => {
    const q = (await api('POST', '/api/v1/quotes', quoteBody())).body;
    const r = await api('POST', '/api/v1/invoices', { quote_id: q.id });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('QUOTE_NOT_ACCEPTED');
  });

  it('creates an invoice from its own items and requires them without a quote', async () => {
    const missing = await api('POST', '/api/v1/invoices', { client_id: tenant.clientId, currency: 'CLP' });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('items');
    const inv = await api('POST', '/api/v1/invoices', { client_id: tenant.clientId, currency: 'CLP', items: [{ description: 'Soporte', quantity: '1', unit_price: '100000' }] });
    expect(inv.body).toMatchObject({ total: '119000', quote_id: null, project_id: null });
    const computed = await api('POST', '/api/v1/invoices', { client_id: tenant.clientId, currency: 'CLP', balance: '0', items: [{ description: 'S', quantity: '1', unit_price: '1' }] });
    expect(computed.status).toBe(400);
    expect(computed.body.field).toBe('balance');
  });

  it('takes payments to the cent: PARTIALLY_PAID, then PAID; never beyond the balance', async () => {
    const q = await acceptedQuote({ currency: 'UF', items: [{ description: 'Plan', quantity: '1', unit_price: '10.01' }] });
    const inv = (await api('POST', '/api/v1/invoices', { quote_id: q.id })).body; // 10.01 + 1.90 (1.9019) = 11.91
    expect(inv.total).toBe('11.91');
    const draftPay = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '1', paid_at: today, method: 'transfer' });
    expect(draftPay.status).toBe(409);
    expect(draftPay.body.code).toBe('INVOICE_NOT_PAYABLE');
    const paidByStatus = await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'PAID' });
    expect(paidByStatus.status).toBe(409);
    expect((await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'ISSUED' })).body.status).toBe('ISSUED');
    const first = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '5.5', paid_at: today, method: 'transfer', reference: 'TRX-1' });
    expect(first.status, first.text).toBe(201);
    expect(first.body.payment).toMatchObject({ amount: '5.50', method: 'transfer', reference: 'TRX-1', paid_at: today });
    expect(first.body.invoice).toMatchObject({ status: 'PARTIALLY_PAID', paid_amount: '5.50', balance: '6.41' });
    const tooMuch = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '6.42', paid_at: today, method: 'cash' });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body).toMatchObject({ code: 'PAYMENT_EXCEEDS_BALANCE', field: 'amount' });
    expect(tooMuch.body.detail).toMatch(/6\.41 UF/);
    const fraction = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '0.001', paid_at: today, method: 'cash' });
    expect(fraction.status).toBe(400);
    const zero = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '0', paid_at: today, method: 'cash' });
    expect(zero.status).toBe(400);
    const future = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '1', paid_at: addDays(today, 2), method: 'cash' });
    expect(future.body.field).toBe('paid_at');
    const rest = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '6.41', paid_at: today, method: 'check' });
    expect(rest.body.invoice).toMatchObject({ status: 'PAID', paid_amount: '11.91', balance: '0.00', next_statuses: [] });
    expect(rest.body.invoice.payments.map((p: any) => p.amount)).toEqual(['5.50', '6.41']);
    const after = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '0.01', paid_at: today, method: 'cash' });
    expect(after.status).toBe(409);
  });

  it('refuses a CLP payment with decimals', async () => {
    const inv = (await api('POST', '/api/v1/invoices', { client_id: tenant.clientId, currency: 'CLP', items: [{ description: 'S', quantity: '1', unit_price: '1000' }] })).body;
    await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'ISSUED' });
    const r = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '100.5', paid_at: today, method: 'cash' });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('amount');
  });

  it('turns open invoices past their due date OVERDUE; payments still settle them', async () => {
    const inv = (await api('POST', '/api/v1/invoices', { client_id: tenant.clientId, currency: 'CLP', items: [{ description: 'S', quantity: '1', unit_price: '1000' }] })).body;
    const early = await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'OVERDUE' });
    expect(early.status).toBe(409);
    await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'ISSUED' });
    await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '190', paid_at: today, method: 'cash' });
    await t.c.db.query('UPDATE invoices SET due_date = $2 WHERE id = $1', [inv.id, addDays(today, -1)]);
    const read = await api('GET', `/api/v1/invoices/${inv.id}`);
    expect(read.body).toMatchObject({ status: 'OVERDUE', balance: '1000', next_statuses: [] });
    const cancel = await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'CANCELLED' });
    expect(cancel.status).toBe(409);
    const partial = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '400', paid_at: today, method: 'cash' });
    expect(partial.body.invoice.status).toBe('OVERDUE');
    const rest = await api('POST', `/api/v1/invoices/${inv.id}/payments`, { amount: '600', paid_at: today, method: 'cash' });
    expect(rest.body.invoice).toMatchObject({ status: 'PAID', balance: '0' });
  });

  it('an ISSUED invoice is immutable except through transitions; a cancelled one frees its quote', async () => {
    const q = await acceptedQuote();
    const inv = (await api('POST', '/api/v1/invoices', { quote_id: q.id })).body;
    await t.c.db.query('UPDATE invoices SET issue_date = $2 WHERE id = $1', [inv.id, addDays(today, -3)]); // drafted three days ago
    const edit = await api('PATCH', `/api/v1/invoices/${inv.id}`, { notes: 'orden de compra 55' });
    expect(edit.status).toBe(200);
    expect(edit.body.notes).toBe('orden de compra 55');
    const issued = await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'ISSUED' });
    expect(issued.body.issue_date).toBe(today);
    const locked = await api('PATCH', `/api/v1/invoices/${inv.id}`, { notes: 'x' });
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('INVOICE_NOT_EDITABLE');
    const cancelled = await api('POST', `/api/v1/invoices/${inv.id}/status`, { status: 'CANCELLED' });
    expect(cancelled.body.status).toBe('CANCELLED');
    const again = await api('POST', '/api/v1/invoices', { quote_id: q.id });
    expect(again.status).toBe(201);
  });
});
