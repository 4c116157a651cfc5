import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import { ErrorNote } from './parts.js';
import { DocumentItems, DocumentTotals } from './erp/DocumentView.js';
import {
  decimalInput, day, FieldMessage, money, PAYMENT_METHODS, PdfButton, StatusTag, todayIn, useClientsAndProjects, type Invoice, type InvoiceStatus, type Quote, type PaymentMethod,
} from './erp/common.js';

/** An invoice: its lines and totals, what is paid and owed, its state changes and (staff) the payments form. */
export default function InvoiceScreen() {
  const id = Number(useParams().id);
  const { t } = useI18n();
  const { user } = useSession();
  const staff = isStaff(user);
  const invoice = useApi((signal) => api<Invoice>(`/invoices/${id}`, { signal }), [id]);
  const { clientName, projectName } = useClientsAndProjects();
  const inv = invoice.data;
  const quoteId = inv?.quote_id ?? null;
  const quote = useApi((signal) => (quoteId === null ? Promise.resolve(undefined) : api<Quote>(`/quotes/${quoteId}`, { signal })), [quoteId]);

  return (
    <article aria-labelledby="invoice-title">
      <p>
        <Link to="/invoices">← {t('erp.invoices.back')}</Link>
      </p>
      {invoice.error && <ErrorNote error={invoice.error} retry={invoice.reload} />}
      {inv && (
        <>
          <h1 id="invoice-title">
            {t('erp.invoice')} {inv.number} <StatusTag status={inv.status} />
          </h1>
          <InvoiceActions invoice={inv} staff={staff} onChanged={invoice.reload} />
          <dl className="card facts">
            <div>
              <dt>{t('erp.client')}</dt>
              <dd>{clientName(inv.client_id)}</dd>
            </div>
            <div>
              <dt>{t('erp.project')}</dt>
              <dd>{inv.project_id === null ? '—' : projectName(inv.project_id)}</dd>
            </div>
            <div>
              <dt>{t('erp.issueDate')}</dt>
              <dd>{day(inv.issue_date)}</dd>
            </div>
            <div>
              <dt>{t('erp.dueDate')}</dt>
              <dd>{day(inv.due_date)}</dd>
            </div>
            {inv.quote_id !== null && (
              <div>
                <dt>{t('erp.quote')}</dt>
                <dd>
                  <Link to={`/quotes/${inv.quote_id}`}>{quote.data?.number ?? `#${inv.quote_id}`}</Link>
                </dd>
              </div>
            )}
          </dl>
          <DocumentItems doc={inv} />
          <DocumentTotals doc={inv}>
            <div>
              <dt>{t('erp.paid')}</dt>
              <dd data-testid="invoice-paid">{money(inv.paid_amount, inv.currency)}</dd>
            </div>
            <div className="grand">
              <dt>{t('erp.balance')}</dt>
              <dd data-testid="invoice-balance">{money(inv.balance, inv.currency)}</dd>
            </div>
          </DocumentTotals>
          <h2>{t('erp.payments')}</h2>
          {inv.payments.length === 0 ? (
            <p className="muted">{t('erp.payments.none')}</p>
          ) : (
            <table data-testid="payments-table">
              <thead>
                <tr>
                  <th scope="col">{t('erp.payment.date')}</th>
                  <th scope="col">{t('erp.payment.method')}</th>
                  <th scope="col">{t('erp.payment.reference')}</th>
                  <th scope="col" className="num">{t('erp.payment.amount')}</th>
                </tr>
              </thead>
              <tbody>
                {inv.payments.map((p) => (
                  <tr key={p.id}>
                    <td>{day(p.paid_at)}</td>
                    <td>{t(`erp.method.${p.method}`)}</td>
                    <td>{p.reference ?? '—'}</td>
                    <td className="num">{money(p.amount, inv.currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {staff && (inv.status === 'ISSUED' || inv.status === 'PARTIALLY_PAID' || inv.status === 'OVERDUE') && <PaymentForm key={inv.balance} invoice={inv} onPaid={invoice.reload} />}
        </>
      )}
    </article>
  );
}

function InvoiceActions({ invoice, staff, onChanged }: { invoice: Invoice; staff: boolean; onChanged(): void }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Paid states follow from payments; only issuing and cancelling are asked for.
  const manual = invoice.next_statuses.filter((s): s is InvoiceStatus => s === 'ISSUED' || s === 'CANCELLED');
  const move = async (status: InvoiceStatus) => {
    setBusy(true);
    setError(null);
    try {
      await api<Invoice>(`/invoices/${invoice.id}/status`, { method: 'POST', body: { status } });
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="toolbar" role="group" aria-label={t('erp.actions')}>
      {staff &&
        manual.map((s) => (
          <button key={s} type="button" disabled={busy} className={s === 'CANCELLED' ? 'secondary' : undefined} data-testid={`invoice-to-${s}`} onClick={() => void move(s)}>
            {t(`erp.invoices.to.${s}` as 'erp.invoices.to.ISSUED')}
          </button>
        ))}
      <PdfButton path={`/invoices/${invoice.id}.pdf`} name={invoice.number} testId="invoice-pdf" />
      <FieldMessage error={error} field={null} id="invoice-action-message" />
    </div>
  );
}

function PaymentForm({ invoice, onPaid }: { invoice: Invoice; onPaid(): void }) {
  const { t } = useI18n();
  const [amount, setAmount] = useState(invoice.balance);
  const { meta } = useSession();
  const [paidAt, setPaidAt] = useState(() => todayIn(meta.timezone));
  const [method, setMethod] = useState<PaymentMethod>('transfer');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api(`/invoices/${invoice.id}/payments`, { method: 'POST', body: { amount: decimalInput(amount), paid_at: paidAt, method, reference: reference.trim() || null } });
      onPaid();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="payment-title" noValidate>
      <h2 id="payment-title">{t('erp.payment.record')}</h2>
      <div className="form-grid">
        <label>
          {t('erp.payment.amount')} ({invoice.currency})
          <input data-testid="payment-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} aria-describedby="err-amount" />
          <FieldMessage error={error} field="amount" id="err-amount" />
        </label>
        <label>
          {t('erp.payment.date')}
          <input data-testid="payment-date" type="date" value={paidAt} onChange={(e) => setPaidAt(e.target.value)} aria-describedby="err-paid-at" />
          <FieldMessage error={error} field="paid_at" id="err-paid-at" />
        </label>
        <label>
          {t('erp.payment.method')}
          <select data-testid="payment-method" value={method} onChange={(e) => setMethod(e.target.value as PaymentMethod)}>
            {PAYMENT_METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`erp.method.${m}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('erp.payment.reference')}
          <input data-testid="payment-reference" value={reference} onChange={(e) => setReference(e.target.value)} aria-describedby="err-reference" />
          <FieldMessage error={error} field="reference" id="err-reference" />
        </label>
      </div>
      <p className="toolbar">
        <button type="submit" data-testid="payment-submit" disabled={busy}>
          {t('erp.payment.submit')}
        </button>
        <span className="muted">{t('erp.payment.balanceIs', { balance: money(invoice.balance, invoice.currency) })}</span>
        <FieldMessage error={error} field={null} id="err-payment" besideFields={['amount', 'paid_at', 'reference']} />
      </p>
    </form>
  );
}
