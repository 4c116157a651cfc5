import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { apiCall, launchBrowser, login, screenshot, seriousViolations, startDemo, type Demo } from './support.js';

/**
 * The staff registry screens and the DGA compliance screen in chromium against `smarthydro start --demo`:
 * the point form round-trips a title and shows the API's message beside the field, the DGA screen lists
 * the period's receipts, a new API key is shown once; every screen has no serious axe violation.
 */
interface PointRow {
  id: number;
  title: string;
  latitude: number | null;
  longitude: number | null;
}
interface SubmissionRow {
  receipt: string | null;
  slot_at: string;
}

let demo: Demo;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let adminToken: string;

beforeAll(async () => {
  const [d, b] = await Promise.allSettled([startDemo(), launchBrowser()]);
  if (d.status === 'fulfilled') demo = d.value;
  if (b.status === 'fulfilled') browser = b.value;
  if (d.status === 'rejected') throw d.reason;
  if (b.status === 'rejected') throw b.reason;
  adminToken = (await apiCall<{ token: string }>(demo.url, null, 'POST', '/auth/login', demo.admin)).body.token;
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function staffPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'es-CL' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await login(page, demo.url, demo.admin.email, demo.admin.password);
  return { context, page, errors };
}

async function expectAccessible(page: Page, screen: string) {
  const serious = await seriousViolations(page);
  expect(serious, `${screen}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** `YYYY-MM` of an instant on the wall clock of a zone. */
function monthIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at);
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}
const addMonth = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};
const minusMonths = (m: string, n: number) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  const i = y * 12 + mo - 1 - n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
};

describe('registry and DGA screens in chromium against smarthydro start --demo', () => {
  it("editing a point's title round-trips through the registry form; a refused value is explained beside its field", { timeout: 180_000 }, async () => {
    const points = (await apiCall<{ items: PointRow[] }>(demo.url, adminToken, 'GET', '/points?limit=5')).body.items;
    const target = points[2]!;
    const title = `${target.title} (editado en el registro)`;
    const { context, page, errors } = await staffPage();
    await page.goto(`${demo.url}/admin/points`);
    await page.getByRole('link', { name: `Editar ${target.title}`, exact: true }).click();
    const field = page.getByTestId('point-form-title');
    await expect.poll(() => field.inputValue(), { timeout: 15_000 }).toBe(target.title);
    await field.fill(title);
    await page.getByTestId('point-form-save').click();
    await page.getByTestId('point-form-saved').waitFor();
    const after = await apiCall<PointRow>(demo.url, adminToken, 'GET', `/points/${target.id}`);
    expect(after.body.title).toBe(title);
    expect([after.body.latitude, after.body.longitude]).toEqual([target.latitude, target.longitude]);
    await page.reload();
    await expect.poll(() => page.getByTestId('point-form-title').inputValue(), { timeout: 15_000 }).toBe(title);

    // The API refuses a latitude that is no number: its message sits beside the latitude field, nothing is stored.
    await page.getByTestId('point-form-latitude').fill('treinta sur');
    await page.getByTestId('point-form-save').click();
    const message = page.locator('[data-field-error="latitude"]');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/latitude/);
    expect(await page.getByTestId('point-form-latitude').getAttribute('aria-invalid')).toBe('true');
    expect((await apiCall<PointRow>(demo.url, adminToken, 'GET', `/points/${target.id}`)).body.latitude).toBe(target.latitude);
    await screenshot(page, 'registry-point-form');
    await expectAccessible(page, 'point form');

    // Picking on the map fills both coordinates.
    await page.getByRole('button', { name: 'Elegir en el mapa' }).click();
    const picker = page.getByTestId('coordinate-picker');
    // MapLibre's chunk is about 1 MB; the demo serves it slowly while it back-fills its data.
    await picker.locator('canvas').waitFor({ timeout: 90_000 });
    const box = (await picker.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.getByTestId('point-form-latitude').inputValue(), { timeout: 15_000 }).toMatch(/^-\d+(\.\d+)?$/);
    expect(Number(await page.getByTestId('point-form-longitude').inputValue())).toBeLessThan(-60);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the DGA compliance screen lists the receipts of the period, one per receipt shown', async () => {
    const meta = (await apiCall<{ timezone: string }>(demo.url, adminToken, 'GET', '/meta')).body;
    const now = monthIn(new Date(), meta.timezone);
    const from = `${minusMonths(now, 2)}-01`;
    const to = `${addMonth(now)}-01`;
    // The demo's reporter sends its first slots shortly after start.
    let sent: SubmissionRow[] = [];
    await expect
      .poll(
        async () => {
          sent = (await apiCall<{ items: SubmissionRow[] }>(demo.url, adminToken, 'GET', `/dga/submissions?status=sent&from=${from}&to=${to}&limit=50`)).body.items;
          return sent.length;
        },
        { timeout: 90_000, interval: 2_000 },
      )
      .toBeGreaterThan(0);

    const { context, page, errors } = await staffPage();
    await page.goto(`${demo.url}/dga`);
    await page.getByTestId('dga-receipt').first().waitFor({ timeout: 30_000 });
    const shown = await page.getByTestId('dga-receipt').allTextContents();
    expect(shown.length).toBeGreaterThanOrEqual(sent.length);
    expect(shown.length).toBeLessThanOrEqual(50);
    expect(new Set(shown).size).toBe(shown.length);
    for (const r of sent) expect(shown).toContain(r.receipt);
    // Owed per client and per point for the months of the period.
    expect(await page.getByRole('heading', { name: 'Por cliente' }).count()).toBe(1);
    expect(await page.locator('table').first().locator('tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'dga-compliance');
    await expectAccessible(page, 'DGA compliance');
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a client user's DGA screen shows only its client, without retry buttons or registry screens", async () => {
    const clients = (await apiCall<{ items: { id: number; name: string }[] }>(demo.url, adminToken, 'GET', '/clients')).body.items;
    const mine = clients[1]!;
    const created = await apiCall(demo.url, adminToken, 'POST', '/users', {
      email: 'dga-viewer@cliente.cl',
      password: 'dga-viewer-password',
      role: 'client',
      client_id: mine.id,
    });
    expect(created.status).toBe(201);
    const context = await browser.browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'es-CL' });
    const page = await context.newPage();
    await login(page, demo.url, 'dga-viewer@cliente.cl', 'dga-viewer-password');
    await page.goto(`${demo.url}/dga`);
    await page.getByRole('heading', { level: 2, name: 'Por cliente' }).waitFor({ timeout: 30_000 });
    const clientCells = await page.locator('table').first().locator('tbody tr td:nth-child(2)').allTextContents();
    expect(clientCells.length).toBeGreaterThan(0);
    expect(new Set(clientCells)).toEqual(new Set([mine.name]));
    expect(await page.getByRole('button', { name: 'Reintentar' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Clientes' }).count()).toBe(0);
    await page.goto(`${demo.url}/admin/points`);
    await page.getByText('Esta página no existe.').waitFor();
    expect(await page.getByRole('heading', { level: 1, name: 'Puntos (registro)' }).count()).toBe(0);
    await screenshot(page, 'dga-compliance-client');
    await context.close();
  });

  it('a new API key is shown once with a copy button; the registry screens are accessible', async () => {
    const { context, page, errors } = await staffPage();
    await page.goto(`${demo.url}/admin/api-keys`);
    await page.getByLabel('Nombre de la clave').fill('integración ERP');
    await page.getByRole('button', { name: 'Crear clave' }).click();
    const secret = page.getByTestId('api-key-secret');
    await secret.waitFor();
    const key = (await secret.locator('code').textContent())!;
    expect(key).toMatch(/^shk_[A-Za-z0-9_-]{32}$/);
    expect(await secret.getByRole('button', { name: 'Copiar' }).count()).toBe(1);
    await screenshot(page, 'registry-api-keys');
    await expectAccessible(page, 'API keys');
    // The key works, and it is never shown again.
    expect((await apiCall(demo.url, key, 'GET', '/clients')).status).toBe(200);
    await page.reload();
    await page.getByRole('heading', { name: 'Claves API' }).waitFor();
    await page.getByRole('cell', { name: 'integración ERP', exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);

    for (const [path, heading, name] of [
      ['/admin/clients', 'Clientes', 'registry-clients'],
      ['/admin/projects', 'Proyectos', 'registry-projects'],
      ['/admin/points', 'Puntos (registro)', 'registry-points'],
      ['/admin/templates', 'Plantillas de esquema', 'registry-templates'],
      ['/admin/users', 'Usuarios', 'registry-users'],
    ] as const) {
      await page.goto(`${demo.url}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator('table tbody tr').first().waitFor();
      await screenshot(page, name);
      await expectAccessible(page, path);
    }
    expect(errors).toEqual([]);
    await context.close();
  });
});
