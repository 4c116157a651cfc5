import type { Page } from '../infra/db/sql.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { type Principal, requireStaff, tenantOf } from '../auth/principal.js';
import { DocumentRepository, type ItemRow, type QuoteRow } from './document.repository.js';
import { takeNumber } from './numbering.repository.js';
import { addDays, DEFAULT_RATE, documentValues, itemsAsInput, ufValueAfter, itemView, moneyView, type DocumentInput } from './documents.js';
import { checkClientProject, todayIn, type ErpDeps } from './erp.deps.js';
import { checkQuoteTransition, nextQuoteStatuses, type QuoteStatus } from './states.js';
import { partiesOf } from './references.repository.js';
import { renderDocumentPdf } from './pdf.js';
import type { QuoteInput, QuotePreviewInput, QuotePreviewView, QuoteView } from './erp.schemas.js';

/** Days a quote stays valid when the body gives no valid_until. */
export const DEFAULT_VALIDITY_DAYS = 30;

/**
 * Quotes: staff create and change DRAFT quotes and move them through their states; a client user reads its
 * own client's quotes. Expiry is applied lazily: every read first turns SENT quotes past valid_until into
 * EXPIRED (and the status call may ask for EXPIRED once the date has passed).
 */
export class QuoteService {
  private readonly repo: DocumentRepository;

  constructor(private readonly deps: ErpDeps) {
    this.repo = new DocumentRepository(deps.db);
  }

  async list(actor: Principal, q: { limit: number; offset: number; client_id?: number; project_id?: number; status?: string }): Promise<Page<QuoteView>> {
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    const page = await this.repo.list<QuoteRow>('quote', { tenant: tenantOf(actor), ...q }, q.limit, q.offset);
    const items = await this.repo.items('quote', page.items.map((r) => r.id));
    return { items: page.items.map((r) => view(r, items.get(r.id) ?? [], today)), total: page.total };
  }

  async get(actor: Principal, id: number): Promise<QuoteView> {
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    const row = await this.visible(actor, id);
    const items = await this.repo.items('quote', [id]);
    return view(row, items.get(id) ?? [], today);
  }

  async create(actor: Principal, body: QuoteInput & Pick<DocumentInput, 'client_id' | 'currency' | 'items'>): Promise<QuoteView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    const validUntil = notBefore(body.valid_until ?? addDays(today, DEFAULT_VALIDITY_DAYS), today);
    const values = documentValues({
      client_id: body.client_id,
      project_id: body.project_id ?? null,
      currency: body.currency,
      uf_value: body.uf_value ?? null,
      tax_rate: body.tax_rate ?? DEFAULT_RATE,
      notes: body.notes ?? null,
      items: body.items,
    });
    const id = await this.deps.db.transaction(async (tx) => {
      // The number first: everything after it in this transaction, checks included, rolls it back on failure.
      const number = await takeNumber(tx, 'COT', Number(today.slice(0, 4)));
      await checkClientProject(tx, values.client_id, values.project_id);
      return this.repo.insertQuote(tx, number, values, {
        issue_date: today,
        valid_until: validUntil,
        created_by: actor.userId,
      });
    });
    return this.get(actor, id);
  }

  /** The totals a quote with these items would have (the editor's live totals); nothing is stored. */
  preview(actor: Principal, body: QuotePreviewInput): QuotePreviewView {
    requireStaff(actor);
    const values = documentValues({
      client_id: 0,
      project_id: null,
      currency: body.currency,
      uf_value: body.uf_value ?? null,
      tax_rate: body.tax_rate ?? DEFAULT_RATE,
      notes: null,
      items: body.items,
    });
    const money = moneyView(values);
    return {
      currency: values.currency,
      tax_rate: money.tax_rate,
      line_totals: values.items.map((i) => itemView(i, values.currency).line_total),
      subtotal: money.subtotal,
      tax_amount: money.tax_amount,
      total: money.total,
      total_clp: money.total_clp,
    };
  }

  /** Only a DRAFT quote changes; `items`, when given, replace all of them. */
  async update(actor: Principal, id: number, patch: QuoteInput): Promise<QuoteView> {
    requireStaff(actor);
    await this.deps.db.transaction(async (tx) => {
      const row = await this.repo.get<QuoteRow>('quote', id, tx, true);
      if (!row) throw notFound(id);
      if (row.status !== 'DRAFT') {
        throw new ConflictError('QUOTE_NOT_EDITABLE', `quote ${row.number} is ${row.status}; only a DRAFT quote can be changed (its state changes through POST /quotes/${id}/status)`, { status: row.status });
      }
      const items = patch.items ?? itemsAsInput((await this.repo.items('quote', [id], tx)).get(id) ?? []);
      const values = documentValues({
        client_id: patch.client_id ?? row.client_id,
        project_id: patch.project_id === undefined ? row.project_id : patch.project_id,
        currency: patch.currency ?? row.currency,
        uf_value: ufValueAfter(patch, row),
        tax_rate: patch.tax_rate ?? row.tax_rate,
        notes: patch.notes === undefined ? row.notes : patch.notes,
        items,
      });
      await checkClientProject(tx, values.client_id, values.project_id);
      const validUntil = patch.valid_until === undefined ? row.valid_until : notBefore(patch.valid_until, todayIn(this.deps));
      await this.repo.rewrite(tx, 'quote', id, values, { valid_until: validUntil });
    });
    return this.get(actor, id);
  }

  async setStatus(actor: Principal, id: number, to: QuoteStatus): Promise<QuoteView> {
    requireStaff(actor);
    const today = todayIn(this.deps);
    await this.repo.applyDueDates(today);
    await this.deps.db.transaction(async (tx) => {
      const row = await this.repo.get<QuoteRow>('quote', id, tx, true);
      if (!row) throw notFound(id);
      checkQuoteTransition({ status: row.status as QuoteStatus, valid_until: row.valid_until }, to, today);
      await this.repo.setStatus(tx, 'quote', id, to);
    });
    return this.get(actor, id);
  }

  async pdf(actor: Principal, id: number): Promise<{ number: string; pdf: Buffer }> {
    const quote = await this.get(actor, id);
    const parties = await partiesOf(this.deps.db, quote.client_id, quote.project_id);
    const pdf = await renderDocumentPdf(this.deps.company, {
      title: 'Cotización',
      number: quote.number,
      status: quote.status,
      dates: [['Fecha de emisión', quote.issue_date], ['Válida hasta', quote.valid_until]],
      ...parties,
      currency: quote.currency,
      items: quote.items,
      subtotal: quote.subtotal,
      taxRate: quote.tax_rate,
      taxAmount: quote.tax_amount,
      total: quote.total,
      ufValue: quote.uf_value,
      totalClp: quote.total_clp,
      notes: quote.notes,
    });
    return { number: quote.number, pdf };
  }

  /** The quote when the actor may see it; another tenant's quote does not exist for them. */
  private async visible(actor: Principal, id: number): Promise<QuoteRow> {
    const row = await this.repo.get<QuoteRow>('quote', id);
    const tenant = tenantOf(actor);
    if (!row || (tenant !== null && row.client_id !== tenant)) throw notFound(id);
    return row;
  }
}

function notBefore(validUntil: string, today: string): string {
  if (validUntil < today) throw new ValidationError(`valid_until ${validUntil} is in the past (today is ${today})`, 'valid_until');
  return validUntil;
}

const notFound = (id: number) => new NotFoundError('QUOTE_NOT_FOUND', `quote ${id} does not exist`);

function view(row: QuoteRow, items: ItemRow[], today: string): QuoteView {
  return {
    id: row.id,
    number: row.number,
    client_id: row.client_id,
    project_id: row.project_id,
    status: row.status as QuoteStatus,
    currency: row.currency,
    issue_date: row.issue_date,
    valid_until: row.valid_until,
    notes: row.notes,
    ...moneyView(row),
    items: items.map((i) => itemView(i, row.currency)),
    next_statuses: nextQuoteStatuses({ status: row.status as QuoteStatus, valid_until: row.valid_until }, today),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
