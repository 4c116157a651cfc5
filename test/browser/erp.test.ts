import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { apiCall, launchBrowser, login, screenshot, seriousViolations, startDemo, type Demo } from './support.js';

/** The ERP screens in chromium against `smarthydro start --demo`: a quote from its first line to a paid invoice, both PDFs. */
let demo: Demo;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  const [d, b] = await Promise.allSettled([startDemo(), launchBrowser()]);
  if (d.status === 'fulfilled') demo = d.value;
  if (b.status === 'fulfilled') browser = b.value;
  if (d.status === 'rejected') throw d.reason;
  if (b.status === 'rejected') throw b.reason;
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function adminToken(): Promise<string> {
  const r = await apiCall<{ token: string }>(demo.url, null, 'POST', '/auth/login', demo.admin);
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status}`);
  return r.body.token;
}

async function freshPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'es-CL', acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** Presses the PDF button; answers the server's response and the file the browser saved. */
async function downloadPdf(page: Page, testId: string, path: string): Promise<{ response: Response; bytes: Buffer; filename: string }> {
  const [response, download] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === `/api/v1${path}`),
    page.waitForEvent('download'),
    page.getByTestId(testId).click(),
  ]);
  // The file as the browser saved it (the page fetches it with the token and hands the browser a blob).
  const bytes = await readFile((await download.path())!);
  return { response, bytes, filename: download.suggestedFilename() };
}

const statusOf = (page: Page) => page.locator('h1 [data-testid="doc-status"]').getAttribute('data-status');

describe('ERP screens in chromium against smarthydro start --demo', () => {
  it('creates a quote with two items (live totals), sends, accepts, invoices, issues and pays it, and downloads both PDFs', async () => {
    const { context, page, errors } = await freshPage();
    await login(page, demo.url, demo.admin.email, demo.admin.password);
    await page.getByRole('link', { name: 'Cotizaciones', exact: true }).click();
    await page.getByRole('heading', { name: 'Cotizaciones' }).waitFor();
    await page.getByTestId('quote-new').click();
    await page.getByRole('heading', { name: 'Nueva cotización' }).waitFor();

    // Client and one of its projects.
    await page.locator('[data-testid="quote-client"] option').nth(1).waitFor({ state: 'attached' });
    await page.getByTestId('quote-client').selectOption({ index: 1 });
    await page.locator('[data-testid="quote-project"] option').nth(1).waitFor({ state: 'attached' });
    await page.getByTestId('quote-project').selectOption({ index: 1 });

    const item = (n: number) => page.getByTestId('quote-item').nth(n);
    await item(0).getByTestId('item-description').fill('Caudalímetro electromagnético DN100');
    await item(0).getByTestId('item-quantity').fill('2');
    await item(0).getByTestId('item-price').fill('450000');
    await page.getByTestId('item-add').click();
    await item(1).getByTestId('item-description').fill('Instalación y puesta en marcha');
    await item(1).getByTestId('item-quantity').fill('1');
    await item(1).getByTestId('item-price').fill('150000');
    // A discount over 100 % is refused by the server; its problem detail appears beside the line.
    await item(1).getByTestId('item-discount').fill('150');
    await expect.poll(() => page.getByTestId('error-items.1').textContent(), { timeout: 10_000 }).toMatch(/discount_percent/);
    await expect(page.getByTestId('quote-total').textContent()).resolves.toBe('—');
    await item(1).getByTestId('item-discount').fill('10');

    // Live totals from the server: 2 × 450.000 = 900.000; 150.000 − 10 % = 135.000; IVA 19 % of 1.035.000 = 196.650.
    await expect.poll(() => page.getByTestId('quote-total').textContent(), { timeout: 10_000 }).toBe('$ 1.231.650');
    await expect(page.getByTestId('item-total').allTextContents()).resolves.toEqual(['$ 900.000', '$ 135.000']);
    await expect(page.getByTestId('quote-subtotal').textContent()).resolves.toBe('$ 1.035.000');
    await expect(page.getByTestId('quote-tax-amount').textContent()).resolves.toBe('$ 196.650');
    await expect(page.getByTestId('error-items.1').textContent()).resolves.toBe('');
    await screenshot(page, 'erp-quote-editor');
    const serious = await seriousViolations(page);
    expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);

    await page.getByTestId('quote-save').click();
    await page.waitForURL(/\/quotes\/\d+$/);
    const quoteId = Number(/\/quotes\/(\d+)$/.exec(page.url())![1]);
    await page.getByTestId('quote-to-SENT').waitFor();
    const number = (await page.getByRole('heading', { level: 1 }).textContent())!.match(/COT-\d{4}-\d{4}/)![0];
    await expect(statusOf(page)).resolves.toBe('DRAFT');

    await page.getByTestId('quote-to-SENT').click();
    await page.getByTestId('quote-to-ACCEPTED').waitFor();
    await expect(statusOf(page)).resolves.toBe('SENT');
    await expect(page.getByTestId('quote-to-REJECTED').count()).resolves.toBe(1);
    await expect(page.getByTestId('document-total').textContent()).resolves.toBe('$ 1.231.650');
    await page.getByTestId('quote-to-ACCEPTED').click();
    await page.getByTestId('quote-invoice').waitFor();
    await expect(statusOf(page)).resolves.toBe('ACCEPTED');
    await screenshot(page, 'erp-quote-accepted');

    const quotePdf = await downloadPdf(page, 'quote-pdf', `/quotes/${quoteId}.pdf`);
    expect(quotePdf.response.status()).toBe(200);
    expect(quotePdf.response.headers()['content-type']).toBe('application/pdf');
    expect(quotePdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(quotePdf.filename).toBe(`${number}.pdf`);

    await page.getByTestId('quote-invoice').click();
    await page.waitForURL(/\/invoices\/\d+$/);
    const invoiceId = Number(/\/invoices\/(\d+)$/.exec(page.url())![1]);
    await page.getByTestId('invoice-to-ISSUED').waitFor();
    await expect(statusOf(page)).resolves.toBe('DRAFT');
    await expect(page.getByTestId('document-total').textContent()).resolves.toBe('$ 1.231.650');
    await page.getByTestId('invoice-to-ISSUED').click();
    await page.getByTestId('payment-amount').waitFor();
    await expect(statusOf(page)).resolves.toBe('ISSUED');
    // The form offers the balance; paying it all settles the invoice.
    await expect(page.getByTestId('payment-amount').inputValue()).resolves.toBe('1231650');
    await page.getByTestId('payment-reference').fill('TRF-88121');
    await page.getByTestId('payment-submit').click();
    await expect.poll(() => statusOf(page), { timeout: 10_000 }).toBe('PAID');
    await expect(page.getByTestId('invoice-balance').textContent()).resolves.toBe('$ 0');
    await expect(page.getByTestId('invoice-paid').textContent()).resolves.toBe('$ 1.231.650');
    await expect(page.getByTestId('payments-table').textContent()).resolves.toContain('TRF-88121');
    await expect(page.getByTestId('payment-amount').count()).resolves.toBe(0);
    await screenshot(page, 'erp-invoice-paid');

    const invoicePdf = await downloadPdf(page, 'invoice-pdf', `/invoices/${invoiceId}.pdf`);
    expect(invoicePdf.response.status()).toBe(200);
    expect(invoicePdf.response.headers()['content-type']).toBe('application/pdf');
    expect(invoicePdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(invoicePdf.filename).toMatch(/^FAC-\d{4}-\d{4}\.pdf$/);

    // What the screens showed is what the server holds.
    const token = await adminToken();
    const stored = await apiCall<{ status: string; balance: string; quote_id: number }>(demo.url, token, 'GET', `/invoices/${invoiceId}`);
    expect(stored.body).toMatchObject({ status: 'PAID', balance: '0', quote_id: quoteId });

    await page.getByRole('link', { name: 'Facturas' }).first().click();
    await page.getByTestId('invoices-table').waitFor();
    await screenshot(page, 'erp-invoices');
    await page.getByRole('link', { name: 'Informe ERP', exact: true }).click();
    await page.getByTestId('report-run').click();
    await page.getByTestId('report-table').waitFor();
    await expect(page.getByTestId('report-table').textContent()).resolves.toContain('$ 1.231.650');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    expect(csv.suggestedFilename()).toMatch(/^erp-report-.*\.csv$/);
    await screenshot(page, 'erp-report');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('adds equipment whose warranty ends soon, installs it at a point: the point page lists it, the dashboard warns', async () => {
    const { context, page, errors } = await freshPage();
    const token = await adminToken();
    const point = (await apiCall<{ items: { id: number; title: string; project_id: number }[] }>(demo.url, token, 'GET', '/points?limit=1')).body.items[0]!;
    const inTenDays = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await login(page, demo.url, demo.admin.email, demo.admin.password).catch(async (e: unknown) => {
      await screenshot(page, 'erp-login-failure');
      throw new Error(`${String(e)}\npage errors: ${errors.join('\n')}`);
    });
    await page.getByRole('link', { name: 'Equipos', exact: true }).click();
    const form = page.getByRole('form', { name: 'Agregar equipo' });
    await form.waitFor();
    await form.getByLabel('Nombre').fill('Caudalímetro Siemens MAG 5100W');
    await form.getByLabel('N° de serie').fill('SIE-BROWSER-001');
    await form.getByLabel('Garantía hasta').fill(inTenDays);
    await form.getByRole('button', { name: 'Guardar' }).click();
    const row = page.getByTestId('equipment-table').locator('tr', { hasText: 'SIE-BROWSER-001' });
    await row.waitFor();

    // The same serial in other letters is refused; the server's reason shows beside the field.
    await form.getByLabel('Nombre').fill('Otro');
    await form.getByLabel('N° de serie').fill('sie-browser-001');
    await form.getByRole('button', { name: 'Guardar' }).click();
    await expect.poll(() => page.getByTestId('error-serial_number').textContent(), { timeout: 10_000 }).toMatch(/already registered/);
    await expect(page.getByTestId('error-form').first().textContent()).resolves.toBe(''); // said once, beside the field

    await row.getByRole('button', { name: 'Asignar / mantención' }).click();
    const assign = page.getByRole('form', { name: /Asignar Caudalímetro/ });
    await assign.getByLabel('Proyecto').selectOption(String(point.project_id));
    await assign.getByLabel('Punto').selectOption(String(point.id));
    await assign.getByRole('button', { name: 'Asignar', exact: true }).click();
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain(point.title);
    await screenshot(page, 'erp-equipment');
    const serious = await seriousViolations(page);
    expect(serious, JSON.stringify(serious, null, 1)).toEqual([]);

    await page.goto(`${demo.url}/points/${point.id}`);
    await page.getByTestId('point-equipment').getByText('SIE-BROWSER-001').waitFor();
    await page.getByRole('link', { name: 'Panel', exact: true }).click();
    await page.getByTestId('warranty-alerts').getByText('SIE-BROWSER-001').waitFor();
    expect(Number(await page.getByTestId('warranty-count').textContent())).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'erp-dashboard-warranty');

    await page.getByRole('link', { name: 'Gastos', exact: true }).click();
    await page.getByTestId('expense-project').selectOption(String(point.project_id));
    await page.getByTestId('expense-amount').fill('85000');
    await page.getByTestId('expense-date').fill(''); // today by default; without a date the server refuses, naming the field
    await page.getByTestId('expense-save').click();
    await expect.poll(() => page.getByTestId('error-expense_date').textContent(), { timeout: 10_000 }).toMatch(/expense_date/);
    await page.getByTestId('expense-date').fill(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)); // yesterday in UTC: never the server's future
    await page.getByTestId('expense-save').click();
    await page.getByTestId('expenses-table').getByText('$ 101.150').waitFor(); // 85.000 + 19 %
    await screenshot(page, 'erp-expenses');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a client user reads its own quotes and invoices, without editing, and sees nothing else of the ERP', async () => {
    const token = await adminToken();
    const quotes = (await apiCall<{ items: { id: number; number: string; client_id: number }[] }>(demo.url, token, 'GET', '/quotes')).body.items;
    expect(quotes.length).toBeGreaterThan(0); // the first test's quote
    const own = quotes[0]!;
    const created = await apiCall(demo.url, token, 'POST', '/users', { email: 'lectura@cliente.cl', password: 'lectura-cliente-1', role: 'client', client_id: own.client_id });
    expect(created.status).toBe(201);
    const { context, page, errors } = await freshPage();
    await login(page, demo.url, 'lectura@cliente.cl', 'lectura-cliente-1');
    const nav = page.getByRole('navigation');
    const links = await nav.getByRole('link').allTextContents();
    expect(links).toEqual(expect.arrayContaining(['Cotizaciones', 'Facturas']));
    for (const staffOnly of ['Gastos', 'Equipos', 'Informe ERP']) expect(links).not.toContain(staffOnly);
    await nav.getByRole('link', { name: 'Cotizaciones' }).click();
    await page.getByRole('link', { name: own.number }).click();
    await page.getByTestId('quote-pdf').waitFor();
    await expect(page.getByTestId('document-items').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid^="quote-to-"], [data-testid="quote-invoice"], [data-testid="quote-save"]').count()).resolves.toBe(0);
    await expect(page.getByTestId('quote-new').count()).resolves.toBe(0);
    await screenshot(page, 'erp-client-quote');
    await page.goto(`${demo.url}/expenses`);
    await page.getByText('Esta página no existe.').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});
