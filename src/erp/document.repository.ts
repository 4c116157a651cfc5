import type { Db, Queryable } from '../infra/db/index.js';
import { count, type Page } from '../infra/db/sql.js';

/**
 * Quotes and invoices: their rows, line items and payments. Money and rates leave the database as text
 * (`::text`), never through a binary float.
 */
export interface ItemRow {
  position: number;
  description: string;
  quantity: string;
  unit_price: string;
  discount_percent: string;
  line_total: string;
}

interface DocumentRow {
  id: number;
  number: string;
  client_id: number;
  project_id: number | null;
  status: string;
  currency: 'CLP' | 'UF';
  uf_value: string | null;
  tax_rate: string;
  issue_date: string;
  notes: string | null;
  subtotal: string;
  tax_amount: string;
  total: string;
  created_at: Date;
  updated_at: Date;
}
export interface QuoteRow extends DocumentRow {
  valid_until: string;
}
export interface InvoiceRow extends DocumentRow {
  quote_id: number | null;
  due_date: string;
  paid_amount: string;
}
export interface PaymentRow {
  id: number;
  invoice_id: number;
  amount: string;
  paid_at: string;
  method: 'transfer' | 'cash' | 'check' | 'card' | 'other';
  reference: string | null;
  created_at: Date;
}

/** What creating or rewriting a document stores; totals come from the money rules. */
export interface DocumentValues {
  client_id: number;
  project_id: number | null;
  currency: 'CLP' | 'UF';
  uf_value: string | null;
  tax_rate: string;
  notes: string | null;
  subtotal: string;
  tax_amount: string;
  total: string;
  items: ItemRow[];
}

type Kind = 'quote' | 'invoice';
const TABLES = {
  quote: { table: 'quotes', items: 'quote_items', extra: 'valid_until' },
  invoice: { table: 'invoices', items: 'invoice_items', extra: "quote_id, due_date, paid_amount::text AS paid_amount" },
} as const;

const columns = (kind: Kind) =>
  `id, number, client_id, project_id, status, currency, uf_value::text AS uf_value, tax_rate::text AS tax_rate, issue_date, notes,
   subtotal::text AS subtotal, tax_amount::text AS tax_amount, total::text AS total, created_at, updated_at, ${TABLES[kind].extra}`;

export interface DocumentFilter {
  tenant: number | null;
  client_id?: number;
  project_id?: number;
  status?: string;
}

export class DocumentRepository {
  constructor(private readonly db: Db) {}

  async list<R>(kind: Kind, f: DocumentFilter, limit: number, offset: number): Promise<Page<R>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.tenant !== null) where.push(`client_id = $${params.push(f.tenant)}`);
    if (f.client_id !== undefined) where.push(`client_id = $${params.push(f.client_id)}`);
    if (f.project_id !== undefined) where.push(`project_id = $${params.push(f.project_id)}`);
    if (f.status !== undefined) where.push(`status = $${params.push(f.status)}`);
    const base = `SELECT ${columns(kind)} FROM ${TABLES[kind].table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const [items, total] = await Promise.all([
      this.db.query<R>(`${base} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]),
      count(this.db, base, params),
    ]);
    return { items: items.rows, total };
  }

  async get<R>(kind: Kind, id: number, q: Queryable = this.db, lock = false): Promise<R | undefined> {
    const { rows } = await q.query<R>(`SELECT ${columns(kind)} FROM ${TABLES[kind].table} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0];
  }

  /** Items of several documents at once, by document id, in position order. */
  async items(kind: Kind, ids: number[], q: Queryable = this.db): Promise<Map<number, ItemRow[]>> {
    const out = new Map<number, ItemRow[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const { rows } = await q.query<ItemRow & { doc: number }>(
      `SELECT ${kind}_id AS doc, position, description, quantity::text AS quantity, unit_price::text AS unit_price,
              discount_percent::text AS discount_percent, line_total::text AS line_total
         FROM ${TABLES[kind].items} WHERE ${kind}_id = ANY($1::bigint[]) ORDER BY ${kind}_id, position`,
      [ids],
    );
    for (const { doc, ...item } of rows) out.get(Number(doc))?.push(item);
    return out;
  }

  async insertQuote(tx: Queryable, number: string, v: DocumentValues, extra: { issue_date: string; valid_until: string; created_by: number }): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO quotes (number, client_id, project_id, currency, uf_value, tax_rate, notes, subtotal, tax_amount, total, issue_date, valid_until, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [number, v.client_id, v.project_id, v.currency, v.uf_value, v.tax_rate, v.notes, v.subtotal, v.tax_amount, v.total, extra.issue_date, extra.valid_until, extra.created_by],
    );
    await this.insertItems(tx, 'quote', rows[0]!.id, v.items);
    return rows[0]!.id;
  }

  async insertInvoice(
    tx: Queryable,
    number: string,
    v: DocumentValues,
    extra: { issue_date: string; due_date: string; quote_id: number | null; created_by: number },
  ): Promise<number> {
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO invoices (number, client_id, project_id, currency, uf_value, tax_rate, notes, subtotal, tax_amount, total, issue_date, due_date, quote_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
      [number, v.client_id, v.project_id, v.currency, v.uf_value, v.tax_rate, v.notes, v.subtotal, v.tax_amount, v.total, extra.issue_date, extra.due_date, extra.quote_id, extra.created_by],
    );
    await this.insertItems(tx, 'invoice', rows[0]!.id, v.items);
    return rows[0]!.id;
  }

  /** Rewrites a DRAFT document's values and, when given, its items. */
  async rewrite(tx: Queryable, kind: Kind, id: number, v: DocumentValues, extra: { valid_until?: string; due_date?: string }): Promise<void> {
    const date = kind === 'quote' ? 'valid_until' : 'due_date';
    await tx.query(
      `UPDATE ${TABLES[kind].table} SET client_id = $2, project_id = $3, currency = $4, uf_value = $5, tax_rate = $6, notes = $7,
              subtotal = $8, tax_amount = $9, total = $10, ${date} = $11, updated_at = now() WHERE id = $1`,
      [id, v.client_id, v.project_id, v.currency, v.uf_value, v.tax_rate, v.notes, v.subtotal, v.tax_amount, v.total, extra.valid_until ?? extra.due_date],
    );
    await tx.query(`DELETE FROM ${TABLES[kind].items} WHERE ${kind}_id = $1`, [id]);
    await this.insertItems(tx, kind, id, v.items);
  }

  private async insertItems(tx: Queryable, kind: Kind, id: number, items: ItemRow[]): Promise<void> {
    if (items.length === 0) return;
    await tx.query(
      `INSERT INTO ${TABLES[kind].items} (${kind}_id, position, description, quantity, unit_price, discount_percent, line_total)
       SELECT $1, i.position, i.description, i.quantity::numeric, i.unit_price::numeric, i.discount_percent::numeric, i.line_total::numeric
         FROM jsonb_to_recordset($2::jsonb) AS i(position int, description text, quantity text, unit_price text, discount_percent text, line_total text)`,
      [id, JSON.stringify(items)],
    );
  }

  /** `issueDate`: an invoice is dated the day it is issued. */
  async setStatus(tx: Queryable, kind: Kind, id: number, status: string, issueDate?: string): Promise<void> {
    await tx.query(
      `UPDATE ${TABLES[kind].table} SET status = $2, issue_date = coalesce($3::date, issue_date), updated_at = now() WHERE id = $1`,
      [id, status, issueDate ?? null],
    );
  }

  /** SENT quotes past valid_until become EXPIRED, open invoices past their due date OVERDUE. */
  async applyDueDates(today: string): Promise<void> {
    await this.db.query(`UPDATE quotes SET status = 'EXPIRED', updated_at = now() WHERE status = 'SENT' AND valid_until < $1`, [today]);
    await this.db.query(
      `UPDATE invoices SET status = 'OVERDUE', updated_at = now() WHERE status IN ('ISSUED', 'PARTIALLY_PAID') AND due_date < $1`,
      [today],
    );
  }

  /** Invoices of a quote that were not cancelled. */
  async liveInvoicesOfQuote(tx: Queryable, quoteId: number): Promise<string[]> {
    const { rows } = await tx.query<{ number: string }>(`SELECT number FROM invoices WHERE quote_id = $1 AND status <> 'CANCELLED'`, [quoteId]);
    return rows.map((r) => r.number);
  }

  async payments(invoiceIds: number[], q: Queryable = this.db): Promise<Map<number, PaymentRow[]>> {
    const out = new Map<number, PaymentRow[]>(invoiceIds.map((id) => [id, []]));
    if (invoiceIds.length === 0) return out;
    const { rows } = await q.query<PaymentRow>(
      `SELECT id, invoice_id, amount::text AS amount, paid_at, method, reference, created_at
         FROM payments WHERE invoice_id = ANY($1::bigint[]) ORDER BY invoice_id, paid_at, id`,
      [invoiceIds],
    );
    for (const p of rows) out.get(Number(p.invoice_id))?.push(p);
    return out;
  }

  async insertPayment(
    tx: Queryable,
    p: { invoice_id: number; amount: string; paid_at: string; method: string; reference: string | null; created_by: number },
  ): Promise<PaymentRow> {
    const { rows } = await tx.query<PaymentRow>(
      `INSERT INTO payments (invoice_id, amount, paid_at, method, reference, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, invoice_id, amount::text AS amount, paid_at, method, reference, created_at`,
      [p.invoice_id, p.amount, p.paid_at, p.method, p.reference, p.created_by],
    );
    return rows[0]!;
  }

  async setPaid(tx: Queryable, invoiceId: number, paidAmount: string, status: string): Promise<void> {
    await tx.query(`UPDATE invoices SET paid_amount = $2, status = $3, updated_at = now() WHERE id = $1`, [invoiceId, paidAmount, status]);
  }
}
