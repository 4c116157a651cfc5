import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError } from '../api.js';
import { useI18n } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import { ErrorNote } from './parts.js';
import { DocumentItems, DocumentTotals } from './erp/DocumentView.js';
import {
  decimalInput, day, FieldMessage, problemField, money, PdfButton, StatusTag, useClientsAndProjects, type Currency, type Invoice, type Quote, type QuotePreview, type QuoteStatus,
} from './erp/common.js';

interface ItemForm {
  description: string;
  quantity: string;
  unit_price: string;
  discount_percent: string;
}
interface QuoteForm {
  client_id: string;
  project_id: string;
  currency: Currency;
  tax_rate: string;
  uf_value: string;
  valid_until: string;
  notes: string;
  items: ItemForm[];
}

/** The fields the editor shows refusals beside. */
const QUOTE_FIELDS = ['client_id', 'project_id', 'currency', 'tax_rate', 'uf_value', 'valid_until', 'items', 'notes'];
const EMPTY_ITEM: ItemForm = { description: '', quantity: '1', unit_price: '', discount_percent: '0' };
const EMPTY: QuoteForm = { client_id: '', project_id: '', currency: 'CLP', tax_rate: '19', uf_value: '', valid_until: '', notes: '', items: [{ ...EMPTY_ITEM }] };

function formOf(q: Quote): QuoteForm {
  return {
    client_id: String(q.client_id),
    project_id: q.project_id === null ? '' : String(q.project_id),
    currency: q.currency,
    tax_rate: q.tax_rate,
    uf_value: q.uf_value ?? '',
    valid_until: q.valid_until,
    notes: q.notes ?? '',
    items: q.items.map((i) => ({ description: i.description, quantity: i.quantity, unit_price: i.unit_price, discount_percent: i.discount_percent })),
  };
}

const itemBody = (i: ItemForm) => ({
  description: i.description.trim(),
  quantity: decimalInput(i.quantity),
  unit_price: decimalInput(i.unit_price),
  discount_percent: decimalInput(i.discount_percent) || '0',
});

function bodyOf(f: QuoteForm, creating: boolean) {
  return {
    ...(creating || f.client_id ? { client_id: Number(f.client_id) } : {}),
    project_id: f.project_id ? Number(f.project_id) : null,
    currency: f.currency,
    tax_rate: decimalInput(f.tax_rate) || '0',
    uf_value: f.currency === 'UF' && f.uf_value.trim() ? decimalInput(f.uf_value) : null,
    ...(f.valid_until ? { valid_until: f.valid_until } : {}),
    notes: f.notes.trim() || null,
    items: f.items.map(itemBody),
  };
}

/** Lines whose quantity and price are typed count in the preview; the others show no total yet. */
const priced = (i: ItemForm) => decimalInput(i.quantity) !== '' && decimalInput(i.unit_price) !== '';

/**
 * A quote: staff edit a DRAFT (live totals from POST /quotes/preview, the server's own rules), move it through
 * its states, invoice it once ACCEPTED; everyone who may see it reads it and downloads its PDF.
 */
export default function QuoteScreen() {
  const param = useParams().id ?? 'new';
  const creating = param === 'new';
  const id = creating ? null : Number(param);
  const { t } = useI18n();
  const navigate = useNavigate();
  const { user } = useSession();
  const staff = isStaff(user);
  const quote = useApi((signal) => (id === null ? Promise.resolve(undefined) : api<Quote>(`/quotes/${id}`, { signal })), [id]);
  const q = quote.data;
  const editable = staff && (creating || q?.status === 'DRAFT');

  return (
    <article aria-labelledby="quote-title">
      <p>
        <Link to="/quotes">← {t('erp.quotes.back')}</Link>
      </p>
      {quote.error && <ErrorNote error={quote.error} retry={quote.reload} />}
      {creating && <h1 id="quote-title">{t('erp.quotes.new')}</h1>}
      {q && (
        <h1 id="quote-title">
          {t('erp.quote')} {q.number} <StatusTag status={q.status} />
        </h1>
      )}
      {q && <QuoteActions quote={q} staff={staff} onChanged={quote.reload} onInvoiced={(inv) => navigate(`/invoices/${inv.id}`)} />}
      {editable && (creating || q) && (
        <QuoteEditor key={q?.updated_at ?? 'new'} quote={q} onSaved={(saved) => (creating ? navigate(`/quotes/${saved.id}`, { replace: true }) : quote.reload())} />
      )}
      {q && !editable && <QuoteRead quote={q} />}
    </article>
  );
}

function QuoteActions({ quote, staff, onChanged, onInvoiced }: { quote: Quote; staff: boolean; onChanged(): void; onInvoiced(inv: Invoice): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const move = (status: QuoteStatus) => run(async () => {
    await api<Quote>(`/quotes/${quote.id}/status`, { method: 'POST', body: { status } });
    onChanged();
  });
  const invoice = () => run(async () => onInvoiced(await api<Invoice>('/invoices', { method: 'POST', body: { quote_id: quote.id } })));
  return (
    <div className="toolbar" aria-label={t('erp.actions')} role="group">
      {staff &&
        quote.next_statuses.map((s) => (
          <button key={s} type="button" disabled={busy} data-testid={`quote-to-${s}`} className={s === 'REJECTED' ? 'secondary' : undefined} onClick={() => void move(s)}>
            {t(`erp.quotes.to.${s}` as 'erp.quotes.to.SENT')}
          </button>
        ))}
      {staff && quote.status === 'ACCEPTED' && (
        <button type="button" disabled={busy} data-testid="quote-invoice" onClick={() => void invoice()}>
          {t('erp.quotes.invoice')}
        </button>
      )}
      <PdfButton path={`/quotes/${quote.id}.pdf`} name={quote.number} testId="quote-pdf" />
      <FieldMessage error={error} field={null} id="quote-action-message" />
    </div>
  );
}

function QuoteRead({ quote }: { quote: Quote }) {
  const { t } = useI18n();
  const { clientName, projectName } = useClientsAndProjects();
  return (
    <>
      <dl className="card facts">
        <div>
          <dt>{t('erp.client')}</dt>
          <dd>{clientName(quote.client_id)}</dd>
        </div>
        <div>
          <dt>{t('erp.project')}</dt>
          <dd>{quote.project_id === null ? '—' : projectName(quote.project_id)}</dd>
        </div>
        <div>
          <dt>{t('erp.issueDate')}</dt>
          <dd>{day(quote.issue_date)}</dd>
        </div>
        <div>
          <dt>{t('erp.validUntil')}</dt>
          <dd>{day(quote.valid_until)}</dd>
        </div>
      </dl>
      <DocumentItems doc={quote} />
      <DocumentTotals doc={quote} />
      {quote.notes && <p>{quote.notes}</p>}
    </>
  );
}

function QuoteEditor({ quote, onSaved }: { quote?: Quote; onSaved(q: Quote): void }) {
  const { t } = useI18n();
  const { user } = useSession();
  const { clients, projects } = useClientsAndProjects();
  const [form, setForm] = useState<QuoteForm>(() => (quote ? formOf(quote) : { ...EMPTY, items: [{ ...EMPTY_ITEM }] }));
  const [preview, setPreview] = useState<QuotePreview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof QuoteForm>(k: K, v: QuoteForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const setItem = (i: number, k: keyof ItemForm, v: string) => setForm((f) => ({ ...f, items: f.items.map((it, j) => (j === i ? { ...it, [k]: v } : it)) }));

  // Live totals: the server's preview of the priced lines, a moment after typing stops.
  const pricedIndexes = form.items.map((it, i) => (priced(it) ? i : -1)).filter((i) => i >= 0);
  const previewKey = JSON.stringify([form.currency, form.tax_rate, form.uf_value, pricedIndexes.map((i) => itemBody(form.items[i]!))]);
  useEffect(() => {
    const lines = pricedIndexes.map((i) => ({ ...itemBody(form.items[i]!), description: '-' }));
    if (lines.length === 0) {
      setPreview(null);
      setPreviewError(null);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      const b = bodyOf(form, true);
      api<QuotePreview>('/quotes/preview', { method: 'POST', body: { currency: b.currency, tax_rate: b.tax_rate, uf_value: b.uf_value, items: lines }, signal: ctl.signal }).then(
        (p) => {
          setPreview({ ...p, line_totals: form.items.map((_, i) => (pricedIndexes.includes(i) ? p.line_totals[pricedIndexes.indexOf(i)]! : '')) });
          setPreviewError(null);
        },
        (e: unknown) => {
          if (ctl.signal.aborted) return;
          setPreview(null);
          // The preview numbers its lines among the priced ones: name the line as the form shows it.
          setPreviewError(renumbered(e, pricedIndexes));
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [previewKey]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaveError(null);
    try {
      const body = bodyOf(form, !quote);
      const saved = quote ? await api<Quote>(`/quotes/${quote.id}`, { method: 'PATCH', body }) : await api<Quote>('/quotes', { method: 'POST', body });
      onSaved(saved);
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy(false);
    }
  };
  const err = saveError ?? previewError;
  const visibleProjects = projects.filter((p) => String(p.client_id) === form.client_id);
  const cur = form.currency;

  return (
    <form className="card quote-editor" onSubmit={(e) => void submit(e)} aria-label={t('erp.quotes.editor')} noValidate>
      <div className="form-grid">
        <label>
          {t('erp.client')}
          <select data-testid="quote-client" value={form.client_id} onChange={(e) => setForm((f) => ({ ...f, client_id: e.target.value, project_id: '' }))} aria-describedby="err-client">
            <option value="">{t('erp.choose')}</option>
            {clients.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
          <FieldMessage error={err} field="client_id" id="err-client" />
        </label>
        <label>
          {t('erp.project')}
          <select data-testid="quote-project" value={form.project_id} onChange={(e) => set('project_id', e.target.value)} aria-describedby="err-project">
            <option value="">{t('erp.noProject')}</option>
            {visibleProjects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <FieldMessage error={err} field="project_id" id="err-project" />
        </label>
        <label>
          {t('erp.currency')}
          <select data-testid="quote-currency" value={cur} onChange={(e) => set('currency', e.target.value as Currency)} aria-describedby="err-currency">
            <option value="CLP">CLP ($)</option>
            <option value="UF">UF</option>
          </select>
          <FieldMessage error={err} field="currency" id="err-currency" />
        </label>
        <label>
          {t('erp.taxRate')}
          <input data-testid="quote-tax" inputMode="decimal" value={form.tax_rate} onChange={(e) => set('tax_rate', e.target.value)} aria-describedby="err-tax" size={6} />
          <FieldMessage error={err} field="tax_rate" id="err-tax" />
        </label>
        {cur === 'UF' && (
          <label>
            {t('erp.ufValue')}
            <input data-testid="quote-uf" inputMode="decimal" value={form.uf_value} onChange={(e) => set('uf_value', e.target.value)} aria-describedby="err-uf" size={10} />
            <FieldMessage error={err} field="uf_value" id="err-uf" />
          </label>
        )}
        <label>
          {t('erp.validUntil')}
          <input data-testid="quote-valid" type="date" value={form.valid_until} onChange={(e) => set('valid_until', e.target.value)} aria-describedby="err-valid" />
          <FieldMessage error={err} field="valid_until" id="err-valid" />
        </label>
      </div>
      <table className="items-editor">
        <caption className="sr-only">{t('erp.items')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('erp.item.description')}</th>
            <th scope="col" className="num">{t('erp.item.quantity')}</th>
            <th scope="col" className="num">{t('erp.item.unitPrice')}</th>
            <th scope="col" className="num">{t('erp.item.discount')}</th>
            <th scope="col" className="num">{t('erp.item.lineTotal')}</th>
            <th scope="col"><span className="sr-only">{t('erp.item.remove')}</span></th>
          </tr>
        </thead>
        <tbody>
          {form.items.map((it, i) => (
            <tr key={i} data-testid="quote-item">
              <td>
                <input aria-label={t('erp.item.descriptionN', { n: i + 1 })} data-testid="item-description" value={it.description} onChange={(e) => setItem(i, 'description', e.target.value)} aria-describedby={`err-item-${i}`} />
                <FieldMessage error={err} field={`items.${i}`} id={`err-item-${i}`} />
              </td>
              <td className="num">
                <input aria-label={t('erp.item.quantityN', { n: i + 1 })} data-testid="item-quantity" inputMode="decimal" size={6} value={it.quantity} onChange={(e) => setItem(i, 'quantity', e.target.value)} aria-describedby={`err-item-${i}`} />
              </td>
              <td className="num">
                <input aria-label={t('erp.item.unitPriceN', { n: i + 1 })} data-testid="item-price" inputMode="decimal" size={10} value={it.unit_price} onChange={(e) => setItem(i, 'unit_price', e.target.value)} aria-describedby={`err-item-${i}`} />
              </td>
              <td className="num">
                <input aria-label={t('erp.item.discountN', { n: i + 1 })} data-testid="item-discount" inputMode="decimal" size={4} value={it.discount_percent} onChange={(e) => setItem(i, 'discount_percent', e.target.value)} aria-describedby={`err-item-${i}`} />
              </td>
              <td className="num" data-testid="item-total">{preview?.line_totals[i] ? money(preview.line_totals[i], cur) : '—'}</td>
              <td>
                <button type="button" className="secondary" disabled={form.items.length === 1} onClick={() => set('items', form.items.filter((_, j) => j !== i))} aria-label={t('erp.item.removeN', { n: i + 1 })}>
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <FieldMessage error={err} field="items" exact id="err-items" />
      <p>
        <button type="button" className="secondary" data-testid="item-add" onClick={() => set('items', [...form.items, { ...EMPTY_ITEM }])}>
          + {t('erp.item.add')}
        </button>
      </p>
      <dl className="totals" aria-live="polite" data-testid="quote-totals">
        <div>
          <dt>{t('erp.subtotal')}</dt>
          <dd data-testid="quote-subtotal">{money(preview?.subtotal, cur)}</dd>
        </div>
        <div>
          <dt>{t('erp.tax', { rate: form.tax_rate || '0' })}</dt>
          <dd data-testid="quote-tax-amount">{money(preview?.tax_amount, cur)}</dd>
        </div>
        <div className="grand">
          <dt>{t('erp.total')}</dt>
          <dd data-testid="quote-total">{money(preview?.total, cur)}</dd>
        </div>
        {preview?.total_clp && (
          <div>
            <dt>{t('erp.totalClp')}</dt>
            <dd>{money(preview.total_clp, 'CLP')}</dd>
          </div>
        )}
      </dl>
      <label className="block">
        {t('erp.notes')}
        <textarea value={form.notes} onChange={(e) => set('notes', e.target.value)} rows={2} aria-describedby="err-notes" />
        <FieldMessage error={err} field="notes" id="err-notes" />
      </label>
      <p className="toolbar">
        <button type="submit" data-testid="quote-save" disabled={busy}>
          {quote ? t('erp.save') : t('erp.quotes.create')}
        </button>
        <FieldMessage error={saveError} field={null} id="err-form" besideFields={QUOTE_FIELDS} />
      </p>
    </form>
  );
}

/** A preview refusal about line k of the priced lines names line pricedIndexes[k] of the form. */
function renumbered(e: unknown, pricedIndexes: number[]): unknown {
  const field = problemField(e);
  const m = field ? /^items\.(\d+)(.*)$/.exec(field) : null;
  if (!(e instanceof ApiError) || !m) return e;
  const n = pricedIndexes[Number(m[1])] ?? Number(m[1]);
  return new ApiError(e.status, e.code, e.detail.replace(/items(\.|\[)\d+/, `items$1${n}`), { ...e.problem, field: `items.${n}${m[2]}` });
}
