import PDFDocument from 'pdfkit';
import { CURRENCY_DECIMALS, type Currency } from './money.js';
import { formatDate, formatDecimal, formatMoney, formatPercent } from './format.js';

/** The issuer printed on every quote and invoice (settings: COMPANY_NAME, COMPANY_RUT, COMPANY_ADDRESS, COMPANY_LOGO_PATH). */
export interface CompanyInfo {
  name: string;
  rut?: string;
  address?: string;
  /** A PNG or JPEG file. */
  logoPath?: string;
}

export interface PdfDocumentData {
  title: 'Cotización' | 'Factura';
  number: string;
  status: string;
  /** Label and ISO date pairs, printed dd-mm-yyyy. */
  dates: [string, string][];
  client: { name: string; rut: string; address: string | null };
  project: string | null;
  currency: Currency;
  items: { position: number; description: string; quantity: string; unit_price: string; discount_percent: string; line_total: string }[];
  subtotal: string;
  taxRate: string;
  taxAmount: string;
  total: string;
  ufValue: string | null;
  totalClp: string | null;
  paid?: string;
  balance?: string;
  notes: string | null;
}

const STATUS_ES: Record<string, string> = {
  DRAFT: 'Borrador', SENT: 'Enviada', ACCEPTED: 'Aceptada', REJECTED: 'Rechazada', EXPIRED: 'Expirada',
  ISSUED: 'Emitida', PARTIALLY_PAID: 'Pagada parcialmente', PAID: 'Pagada', OVERDUE: 'Vencida', CANCELLED: 'Anulada',
};

const PAGE = { width: 595.28, height: 841.89, margin: 48 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const ACCENT = '#1f5f8b';
const MUTED = '#555555';
/** Item table columns: label, width, alignment. The description takes what the others leave. */
const COLUMNS: [string, number, 'left' | 'right'][] = [
  ['#', 22, 'right'],
  ['Descripción', 0, 'left'],
  ['Cantidad', 50, 'right'],
  ['Precio unitario', 84, 'right'],
  ['Dcto.', 40, 'right'],
  ['Total', 88, 'right'],
];
COLUMNS[1]![1] = CONTENT_WIDTH - COLUMNS.reduce((s, c) => s + c[1], 0) - 6 * COLUMNS.length;

/** Decimal text with at least `n` decimals: a UF unit price "0.5" prints as 0,50 UF like the totals. */
function withDecimals(text: string, n: number): string {
  const [int, frac = ''] = text.split('.');
  return n === 0 && !frac ? text : `${int}.${frac.padEnd(n, '0')}`;
}

/** A quote or invoice as an A4 PDF with the company's data, es-CL numbers and dd-mm-yyyy dates. */
export function renderDocumentPdf(company: CompanyInfo, d: PdfDocumentData): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4', margin: PAGE.margin, bufferPages: true, info: { Title: `${d.title} ${d.number}`, Author: company.name },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  let y = header(doc, company, d);
  y = parties(doc, d, y + 14);
  y = itemTable(doc, d, y + 16);
  y = totals(doc, d, y + 10);
  if (d.notes) {
    y = ensureRoom(doc, y + 18, 60);
    doc.font('Helvetica-Bold').fontSize(9).fillColor('black').text('Observaciones', PAGE.margin, y);
    doc.font('Helvetica').fontSize(9).text(d.notes, PAGE.margin, doc.y + 2, { width: CONTENT_WIDTH });
  }
  footers(doc, company, d);
  doc.end();
  return done;
}

function header(doc: PDFKit.PDFDocument, company: CompanyInfo, d: PdfDocumentData): number {
  const top = PAGE.margin;
  let x = PAGE.margin;
  if (company.logoPath) {
    try {
      doc.image(company.logoPath, x, top, { fit: [90, 54] });
      x += 100;
    } catch {
      // An unreadable logo leaves the header without it rather than failing the document.
    }
  }
  doc.font('Helvetica-Bold').fontSize(14).fillColor('black').text(company.name, x, top, { width: 250 });
  doc.font('Helvetica').fontSize(9).fillColor(MUTED);
  if (company.rut) doc.text(`RUT ${company.rut}`, x, doc.y + 2, { width: 250 });
  if (company.address) doc.text(company.address, x, doc.y + 1, { width: 250 });
  const leftBottom = doc.y;

  const boxX = PAGE.margin + CONTENT_WIDTH - 190;
  doc.font('Helvetica-Bold').fontSize(16).fillColor(ACCENT).text(d.title.toUpperCase(), boxX, top, { width: 190, align: 'right' });
  doc.font('Helvetica-Bold').fontSize(11).fillColor('black').text(`N° ${d.number}`, boxX, doc.y + 2, { width: 190, align: 'right' });
  doc.font('Helvetica').fontSize(9).fillColor(MUTED);
  for (const [label, date] of d.dates) doc.text(`${label}: ${formatDate(date)}`, boxX, doc.y + 2, { width: 190, align: 'right' });
  doc.text(`Estado: ${STATUS_ES[d.status] ?? d.status}`, boxX, doc.y + 2, { width: 190, align: 'right' });
  const bottom = Math.max(leftBottom, doc.y, top + 54) + 8;
  doc.moveTo(PAGE.margin, bottom).lineTo(PAGE.margin + CONTENT_WIDTH, bottom).lineWidth(1).strokeColor(ACCENT).stroke();
  return bottom;
}

function parties(doc: PDFKit.PDFDocument, d: PdfDocumentData, y: number): number {
  const rows: [string, string][] = [['Cliente', d.client.name]];
  if (d.client.rut) rows.push(['RUT', d.client.rut]);
  if (d.client.address) rows.push(['Dirección', d.client.address]);
  if (d.project) rows.push(['Proyecto', d.project]);
  rows.push(['Moneda', d.currency === 'CLP' ? 'Pesos chilenos (CLP)' : `Unidades de fomento (UF)${d.ufValue ? `, valor UF ${formatMoney(d.ufValue, 'CLP')}` : ''}`]);
  let at = y;
  for (const [label, value] of rows) {
    doc.font('Helvetica-Bold').fontSize(9).fillColor('black').text(`${label}:`, PAGE.margin, at, { width: 70 });
    doc.font('Helvetica').fontSize(9).text(value, PAGE.margin + 72, at, { width: CONTENT_WIDTH - 72 });
    at = doc.y + 3;
  }
  return at;
}

function tableHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.rect(PAGE.margin, y, CONTENT_WIDTH, 18).fill(ACCENT);
  let x = PAGE.margin + 3;
  doc.font('Helvetica-Bold').fontSize(8.5).fillColor('white');
  for (const [label, width, align] of COLUMNS) {
    doc.text(label, x, y + 5, { width, align, lineBreak: false });
    x += width + 6;
  }
  return y + 22;
}

function itemTable(doc: PDFKit.PDFDocument, d: PdfDocumentData, y: number): number {
  let at = tableHeader(doc, y);
  doc.font('Helvetica').fontSize(9);
  for (const item of d.items) {
    const cells = [
      String(item.position),
      item.description,
      formatDecimal(item.quantity),
      formatMoney(withDecimals(item.unit_price, CURRENCY_DECIMALS[d.currency]), d.currency),
      item.discount_percent === '0' ? '' : formatPercent(item.discount_percent),
      formatMoney(item.line_total, d.currency),
    ];
    doc.font('Helvetica').fontSize(9);
    const height = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: COLUMNS[i]![1] }))) + 6;
    if (at + height > PAGE.height - PAGE.margin - 20) {
      doc.addPage();
      at = tableHeader(doc, PAGE.margin);
      doc.font('Helvetica').fontSize(9);
    }
    let x = PAGE.margin + 3;
    doc.fillColor('black');
    cells.forEach((text, i) => {
      const [, width, align] = COLUMNS[i]!;
      doc.text(text, x, at + 3, { width, align });
      x += width + 6;
    });
    at += height;
    doc.moveTo(PAGE.margin, at).lineTo(PAGE.margin + CONTENT_WIDTH, at).lineWidth(0.5).strokeColor('#cccccc').stroke();
  }
  return at;
}

function totals(doc: PDFKit.PDFDocument, d: PdfDocumentData, y: number): number {
  const rows: [string, string, boolean][] = [
    ['Subtotal neto', formatMoney(d.subtotal, d.currency), false],
    [`IVA (${formatPercent(d.taxRate)})`, formatMoney(d.taxAmount, d.currency), false],
    ['Total', formatMoney(d.total, d.currency), true],
  ];
  if (d.totalClp !== null) rows.push(['Total en pesos', formatMoney(d.totalClp, 'CLP'), false]);
  if (d.paid !== undefined) rows.push(['Pagado', formatMoney(d.paid, d.currency), false]);
  if (d.balance !== undefined) rows.push(['Saldo', formatMoney(d.balance, d.currency), true]);
  let at = ensureRoom(doc, y, rows.length * 16);
  const labelX = PAGE.margin + CONTENT_WIDTH - 260;
  for (const [label, value, strong] of rows) {
    doc.font(strong ? 'Helvetica-Bold' : 'Helvetica').fontSize(strong ? 10.5 : 9.5).fillColor('black');
    doc.text(label, labelX, at, { width: 150, align: 'right' });
    doc.text(value, labelX + 155, at, { width: 105, align: 'right' });
    at += strong ? 17 : 15;
  }
  return at;
}

/** "COT-2026-0001 · Página 1 de 2" at the foot of every page (pages are buffered until the end). */
function footers(doc: PDFKit.PDFDocument, company: CompanyInfo, d: PdfDocumentData): void {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    // Writing inside the bottom margin would make pdfkit open a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('Helvetica').fontSize(7.5).fillColor(MUTED);
    doc.text(`${company.name} · ${d.title} ${d.number}`, PAGE.margin, PAGE.height - PAGE.margin + 14, { width: CONTENT_WIDTH / 2, lineBreak: false });
    doc.text(`Página ${i - start + 1} de ${count}`, PAGE.margin + CONTENT_WIDTH / 2, PAGE.height - PAGE.margin + 14, { width: CONTENT_WIDTH / 2, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
}

/** A new page when fewer than `needed` points remain below `y`. */
function ensureRoom(doc: PDFKit.PDFDocument, y: number, needed: number): number {
  if (y + needed <= PAGE.height - PAGE.margin) return y;
  doc.addPage();
  return PAGE.margin;
}
