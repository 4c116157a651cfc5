import type { Page } from '../infra/db/sql.js';
import type { Queryable } from '../infra/db/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { DocumentRepository, type InvoiceRow, type ItemRow, type PaymentRow, type QuoteRow } from './document.repository.js';
import { takeNumber } from './numbering.repository.js';
import { addDays, balanceOf, DEFAULT_RATE, documentValues, itemsAsInput, ufValueAfter, itemView, moneyView, type DocumentInput } from './documents.js';
import { checkClientProject, todayIn, type ErpDeps } from './erp.deps.js';
import { CURRENCY_DECIMALS, amountText, formatUnits, parseAmount } from './money.js';
import {
  checkInvoiceTransition, nextInvoiceStatuses, PAYABLE_STATUSES, statusAfterPayment, type InvoiceStatus,
} from './states.js';
import { partiesOf } from './references.repository.js';
import { renderDocumentPdf } from './pdf.js';
import type { InvoiceInput, InvoiceView, PaymentInput, PaymentView } from './erp.schemas.js';

/** Days to pay when the body gives no due_date. */
export const DEFAULT_PAYMENT_DAYS = 30;

/**
 * Invoices and their payments. An invoice is made from an ACCEPTED quote (its client, project, currency,
 * rate and items copied) or from its own items. Payments move paid_amount and the state and never exceed
 * the balance; OVERDUE is applied lazily on every read, like a quote's expiry. A draft is dated the day it
 * is created and again the day it is ISSUED; its number keeps the year it was created in.
 */
export class InvoiceService {
  private readonly repo: DocumentRepository;

  constructor(private readonly deps: ErpDeps) {
    this.repo = new DocumentRepository(deps.db);
  }

  async list(actor: Principal, q: { limit: number; offset: number; client_id?: number; project_id?: number; status?: string }): Promise<Page<InvoiceView>> {
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    const page = await this.repo.list<InvoiceRow>('invoice', { tenant: tenantOf(actor), ...q }, q.limit, q.offset);
    const ids = page.items.map((r) => r.id);
    const [items, payments] = await Promise.all([this.repo.items('invoice', ids), this.repo.payments(ids)]);
    return { items: page.items.map((r) => view(r, items.get(r.id) ?? [], payments.get(r.id) ?? [], today)), total: page.total };
  }

  async get(actor: Principal, id: number): Promise<InvoiceView> {
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    const row = await this.repo.get<InvoiceRow>('invoice', id);
    const tenant = tenantOf(actor);
    if (!row || (tenant !== null && row.client_id !== tenant)) throw notFound(id);
    const [items, payments] = await Promise.all([this.repo.items('invoice', [id]), this.repo.payments([id])]);
    return view(row, items.get(id) ?? [], payments.get(id) ?? [], today);
  }

  async create(actor: Principal, body: InvoiceInput): Promise<InvoiceView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    const dueDate = body.due_date ?? addDays(today, DEFAULT_PAYMENT_DAYS);
    if (dueDate < today) throw new ValidationError(`due_date ${dueDate} is in the past (today is ${today})`, 'due_date');
    if (body.quote_id !== undefined) {
      for (const f of ['items', 'currency', 'client_id'] as const) {
        if (body[f] !== undefined) throw new ValidationError(`${f} is copied from quote ${body.quote_id}; leave it out`, f);
      }
    } else {
      for (const f of ['client_id', 'currency', 'items'] as const) {
        if (body[f] === undefined) throw new ValidationError(`${f} is required (or give quote_id to invoice an accepted quote)`, f);
      }
    }
    const ownValues = body.quote_id === undefined
      ? documentValues({
          client_id: body.client_id!,
          project_id: body.project_id ?? null,
          currency: body.currency!,
          uf_value: body.uf_value ?? null,
          tax_rate: body.tax_rate ?? DEFAULT_RATE,
          notes: body.notes ?? null,
          items: body.items!,
        })
      : undefined;
    const id = await this.deps.db.transaction(async (tx) => {
      const number = await takeNumber(tx, 'FAC', Number(today.slice(0, 4)));
      const values = ownValues ?? (await this.fromQuote(tx, body.quote_id!, body));
      await checkClientProject(tx, values.client_id, values.project_id);
      return this.repo.insertInvoice(tx, number, values, { issue_date: today, due_date: dueDate, quote_id: body.quote_id ?? null, created_by: actor.userId });
    });
    return this.get(actor, id);
  }

  /** An ACCEPTED quote not invoiced yet (or whose invoices were all cancelled), locked until the invoice exists. */
  private async fromQuote(tx: Queryable, quoteId: number, body: InvoiceInput) {
    const quote = await this.repo.get<QuoteRow>('quote', quoteId, tx, true);
    if (!quote) throw new ValidationError(`quote_id ${quoteId} does not exist`, 'quote_id');
    if (quote.status !== 'ACCEPTED') {
      throw new ConflictError('QUOTE_NOT_ACCEPTED', `quote ${quote.number} is ${quote.status}; only an ACCEPTED quote can be invoiced`, { status: quote.status });
    }
    const invoiced = await this.repo.liveInvoicesOfQuote(tx, quoteId);
    if (invoiced.length > 0) throw new ConflictError('QUOTE_ALREADY_INVOICED', `quote ${quote.number} is already invoiced by ${invoiced.join(', ')}`);
    const items = (await this.repo.items('quote', [quoteId], tx)).get(quoteId) ?? [];
    return documentValues({
      client_id: quote.client_id,
      project_id: body.project_id === undefined ? quote.project_id : body.project_id,
      currency: quote.currency,
      uf_value: body.uf_value === undefined ? quote.uf_value : body.uf_value,
      tax_rate: body.tax_rate ?? quote.tax_rate,
      notes: body.notes === undefined ? quote.notes : body.notes,
      items: itemsAsInput(items),
    });
  }

  /** Only a DRAFT invoice changes. */
  async update(actor: Principal, id: number, patch: Partial<Omit<DocumentInput, 'client_id'>> & { due_date?: string }): Promise<InvoiceView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    await this.deps.db.transaction(async (tx) => {
      const row = await this.repo.get<InvoiceRow>('invoice', id, tx, true);
      if (!row) throw notFound(id);
      if (row.status !== 'DRAFT') {
        throw new ConflictError('INVOICE_NOT_EDITABLE', `invoice ${row.number} is ${row.status}; only a DRAFT invoice can be changed (its state changes through POST /invoices/${id}/status and payments)`, { status: row.status });
      }
      if (patch.due_date !== undefined && patch.due_date < today) throw new ValidationError(`due_date ${patch.due_date} is in the past (today is ${today})`, 'due_date');
      const items = patch.items ?? itemsAsInput((await this.repo.items('invoice', [id], tx)).get(id) ?? []);
      const values = documentValues({
        client_id: row.client_id,
        project_id: patch.project_id === undefined ? row.project_id : patch.project_id,
        currency: patch.currency ?? row.currency,
        uf_value: ufValueAfter(patch, row),
        tax_rate: patch.tax_rate ?? row.tax_rate,
        notes: patch.notes === undefined ? row.notes : patch.notes,
        items,
      });
      await checkClientProject(tx, values.client_id, values.project_id);
      await this.repo.rewrite(tx, 'invoice', id, values, { due_date: patch.due_date ?? row.due_date });
    });
    return this.get(actor, id);
  }

  async setStatus(actor: Principal, id: number, to: InvoiceStatus): Promise<InvoiceView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    await this.deps.db.transaction(async (tx) => {
      const row = await this.repo.get<InvoiceRow>('invoice', id, tx, true);
      if (!row) throw notFound(id);
      checkInvoiceTransition({ status: row.status as InvoiceStatus, due_date: row.due_date }, to, today);
      await this.repo.setStatus(tx, 'invoice', id, to, to === 'ISSUED' ? today : undefined);
    });
    return this.get(actor, id);
  }

  /** Records a payment of at most the balance; the invoice becomes PARTIALLY_PAID or PAID. */
  async pay(actor: Principal, id: number, body: PaymentInput): Promise<{ payment: PaymentView; invoice: InvoiceView }> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    if (body.paid_at > today) throw new ValidationError(`paid_at ${body.paid_at} is in the future (today is ${today})`, 'paid_at');
    await this.repo.applyDueDates(today);
    const payment = await this.deps.db.transaction(async (tx) => {
      const row = await this.repo.get<InvoiceRow>('invoice', id, tx, true);
      if (!row) throw notFound(id);
      const status = row.status as InvoiceStatus;
      if (!PAYABLE_STATUSES.includes(status)) {
        throw new ConflictError('INVOICE_NOT_PAYABLE', `invoice ${row.number} is ${status}; payments are recorded on ${PAYABLE_STATUSES.join(', ')} invoices`, { status });
      }
      const amount = parseAmount(body.amount, row.currency, 'amount');
      if (amount === 0n) throw new ValidationError('amount must be more than zero', 'amount');
      const total = parseAmount(row.total, row.currency, 'total');
      const paid = parseAmount(row.paid_amount, row.currency, 'paid_amount');
      const decimals = CURRENCY_DECIMALS[row.currency];
      if (amount > total - paid) {
        const balance = formatUnits(total - paid, decimals);
        throw new ConflictError('PAYMENT_EXCEEDS_BALANCE', `amount ${body.amount} ${row.currency} exceeds the balance of invoice ${row.number}, ${balance} ${row.currency}`, { field: 'amount', balance });
      }
      const p = await this.repo.insertPayment(tx, {
        invoice_id: id, amount: formatUnits(amount, decimals), paid_at: body.paid_at, method: body.method, reference: body.reference ?? null, created_by: actor.userId,
      });
      await this.repo.setPaid(tx, id, formatUnits(paid + amount, decimals), statusAfterPayment(status, total - paid - amount));
      return { ...p, amount: amountText(p.amount, row.currency) };
    });
    return { payment, invoice: await this.get(actor, id) };
  }

  async pdf(actor: Principal, id: number): Promise<{ number: string; pdf: Buffer }> {
    const inv = await this.get(actor, id);
    const parties = await partiesOf(this.deps.db, inv.client_id, inv.project_id);
    const pdf = await renderDocumentPdf(this.deps.company, {
      title: 'Factura',
      number: inv.number,
      status: inv.status,
      dates: [['Fecha de emisión', inv.issue_date], ['Vencimiento', inv.due_date]],
      ...parties,
      currency: inv.currency,
      items: inv.items,
      subtotal: inv.subtotal,
      taxRate: inv.tax_rate,
      taxAmount: inv.tax_amount,
      total: inv.total,
      ufValue: inv.uf_value,
      totalClp: inv.total_clp,
      paid: inv.paid_amount,
      balance: inv.balance,
      notes: inv.notes,
    });
    return { number: inv.number, pdf };
  }
}

const notFound = (id: number) => new NotFoundError('INVOICE_NOT_FOUND', `invoice ${id} does not exist`);

function view(row: InvoiceRow, items: ItemRow[], payments: PaymentRow[], today: string): InvoiceView {
  const status = row.status as InvoiceStatus;
  const paid = amountText(row.paid_amount, row.currency);
  return {
    id: row.id,
    number: row.number,
    client_id: row.client_id,
    project_id: row.project_id,
    quote_id: row.quote_id,
    status,
    currency: row.currency,
    issue_date: row.issue_date,
    due_date: row.due_date,
    notes: row.notes,
    ...moneyView(row),
    paid_amount: paid,
    balance: balanceOf(row.total, row.paid_amount, row.currency),
    items: items.map((i) => itemView(i, row.currency)),
    payments: payments.map((p) => ({ ...p, amount: amountText(p.amount, row.currency) })),
    next_statuses: nextInvoiceStatuses({ status, due_date: row.due_date }, today),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
