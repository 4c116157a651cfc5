import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { formatLocal } from '../../src/lib/timezone.js';
import { formatDate } from '../../src/erp/format.js';

/**
 * Quote and invoice PDFs rendered to images with poppler's pdftoppm (Debian poppler-utils) and read back
 * with pdftotext: the page is not blank, the logo and the table are drawn, and the text is es-CL.
 * The first pages are kept in artifacts/pdf/ to be looked at.
 */
const ARTIFACTS = join(process.cwd(), 'artifacts', 'pdf');
const work = mkdtempSync(join(tmpdir(), 'erp-pdf-'));
let t: TestContext;
let today: string;

/** A small solid-colour RGB PNG, written by hand (zlib for the pixel data). */
function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).map((_, i) => rgb[i % 3]!)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

/** pdftoppm -gray writes binary PGM (P5): a header and one byte per pixel. */
function readPgm(file: string): { width: number; height: number; pixels: Buffer } {
  const data = readFileSync(file);
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error(`${file} is not a binary PGM`);
  return { width: Number(header[1]), height: Number(header[2]), pixels: data.subarray(header[0].length) };
}

/** Share of pixels darker than near-white in a region (fractions of the page). */
function inkShare(img: { width: number; height: number; pixels: Buffer }, region = { x0: 0, y0: 0, x1: 1, y1: 1 }): number {
  let ink = 0;
  let all = 0;
  for (let y = Math.floor(region.y0 * img.height); y < Math.floor(region.y1 * img.height); y++) {
    for (let x = Math.floor(region.x0 * img.width); x < Math.floor(region.x1 * img.width); x++) {
      all++;
      if (img.pixels[y * img.width + x]! < 200) ink++;
    }
  }
  return ink / all;
}

function render(name: string, pdf: Buffer) {
  const file = join(work, `${name}.pdf`);
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-gray', '-r', '50', '-f', '1', '-l', '1', '-singlefile', file, join(work, name)]);
  mkdirSync(ARTIFACTS, { recursive: true });
  execFileSync('pdftoppm', ['-png', '-r', '100', '-f', '1', '-l', '1', '-singlefile', file, join(ARTIFACTS, name)]);
  const text = execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8');
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file]).toString())![1]);
  return { image: readPgm(join(work, `${name}.pgm`)), text, pages };
}

beforeAll(async () => {
  for (const tool of ['pdftoppm', 'pdftotext', 'pdfinfo']) {
    try {
      execFileSync(tool, ['-v'], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is missing: install Debian's poppler-utils (apt-get install -y poppler-utils); .ci/run does`);
    }
  }
  const logo = join(work, 'logo.png');
  writeFileSync(logo, solidPng(120, 60, [31, 95, 139]));
  t = await createTestContext({
    config: { company: { name: 'Hidrotelemetría del Sur SpA', rut: '76.543.210-3', address: 'Av. Alemania 1234, Temuco', logoPath: logo } },
  });
  today = formatLocal(new Date(), t.c.config.reportTimezone).date;
});
afterAll(async () => t.close());

describe('quote and invoice PDFs', () => {
  it('renders a quote: company, client, items and es-CL totals on a non-blank page', async () => {
    const s = await seedTenant(t, 'Comunidad de Aguas Ñuble', 1);
    const items = [
      { description: 'Caudalímetro electromagnético DN100 con registrador de datos y certificado de calibración', quantity: '1', unit_price: '850000' },
      { description: 'Instalación, configuración y puesta en marcha', quantity: '2', unit_price: '75000', discount_percent: '0' },
      ...Array.from({ length: 6 }, (_, i) => ({ description: `Visita técnica mensual ${i + 1}`, quantity: '1', unit_price: '0', discount_percent: '100' })),
    ];
    const q = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/quotes', payload: { client_id: s.clientId, project_id: s.projectId, currency: 'CLP', items, notes: 'Precios válidos por 30 días.' } });
    expect(q.status, q.text).toBe(201);
    const r = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/quotes/${q.body.id}.pdf` });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toBe(`inline; filename="${q.body.number}.pdf"`);
    const pdf = Buffer.from(r.text, 'latin1');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/quotes/${q.body.id}.pdf`, headers: { authorization: `Bearer ${t.adminToken}` } });
    const { image, text, pages } = render('quote', res.rawPayload);
    expect(pages).toBe(1);
    expect(inkShare(image)).toBeGreaterThan(0.01);
    expect(inkShare(image, { x0: 0.05, y0: 0.04, x1: 0.25, y1: 0.11 })).toBeGreaterThan(0.5); // the logo, top left
    for (const want of [
      'COTIZACIÓN', q.body.number, 'Hidrotelemetría del Sur SpA', 'RUT 76.543.210-3', 'Av. Alemania 1234, Temuco', 'Comunidad de Aguas Ñuble',
      '$ 850.000', '$ 150.000', '$ 1.000.000', 'IVA (19 %)', '$ 190.000', '$ 1.190.000', '100 %', formatDate(today), 'Borrador',
      'Precios válidos por 30 días.',
    ]) {
      expect(text).toContain(want);
    }
  });

  it('renders a UF invoice with payments, the CLP equivalent, and many lines over two pages', async () => {
    const s = await seedTenant(t, 'Regantes del Laja', 1);
    const items = Array.from({ length: 45 }, (_, i) => ({ description: `Servicio de telemetría, punto ${i + 1}`, quantity: '1', unit_price: '0.5' }));
    const inv = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/invoices', payload: { client_id: s.clientId, currency: 'UF', uf_value: '38250.42', items } });
    expect(inv.status, inv.text).toBe(201);
    expect(inv.body).toMatchObject({ subtotal: '22.50', tax_amount: '4.28', total: '26.78', total_clp: '1024346' }); // 4.275 → 4.28; 26.78 × 38250.42 = 1024346.25
    await t.as(t.adminToken, { method: 'POST', url: `/api/v1/invoices/${inv.body.id}/status`, payload: { status: 'ISSUED' } });
    await t.as(t.adminToken, { method: 'POST', url: `/api/v1/invoices/${inv.body.id}/payments`, payload: { amount: '12.50', paid_at: today, method: 'transfer' } });
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/invoices/${inv.body.id}.pdf`, headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(res.statusCode).toBe(200);
    const { image, text, pages } = render('invoice', res.rawPayload);
    expect(pages).toBe(2);
    expect(inkShare(image)).toBeGreaterThan(0.01);
    for (const want of ['FACTURA', inv.body.number, 'Pagada parcialmente', 'Página 2 de 2', '22,50 UF', '4,28 UF', '26,78 UF', '12,50 UF', '14,28 UF', '$ 1.024.346', '$ 38.250,42', 'Vencimiento']) {
      expect(text).toContain(want);
    }
  });
});
