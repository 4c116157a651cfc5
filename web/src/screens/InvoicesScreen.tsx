import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import type { List } from '../types.js';
import { ErrorNote } from './parts.js';
import { day, money, Pager, StatusTag, useClientsAndProjects, type Invoice, type InvoiceStatus } from './erp/common.js';

const STATUSES: InvoiceStatus[] = ['DRAFT', 'ISSUED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'CANCELLED'];
const PAGE = 50;

/** Invoices with what is paid and still owed; staff create them from an accepted quote (on the quote's page). */
export default function InvoicesScreen() {
  const { t } = useI18n();
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const invoices = useApi((signal) => api<List<Invoice>>('/invoices', { query: { status, limit: PAGE, offset }, signal }), [status, offset]);
  const { clientName } = useClientsAndProjects();

  return (
    <section aria-labelledby="invoices-title">
      <h1 id="invoices-title">{t('erp.invoices.title')}</h1>
      <div className="toolbar">
        <label>
          {t('erp.status')}{' '}
          <select value={status} onChange={(e) => (setStatus(e.target.value), setOffset(0))}>
            <option value="">{t('erp.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`erp.status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">{t('erp.invoices.fromQuote')}</span>
      </div>
      {invoices.error && <ErrorNote error={invoices.error} retry={invoices.reload} />}
      {invoices.data && invoices.data.items.length === 0 && <p className="muted">{t('erp.none')}</p>}
      {invoices.data && invoices.data.items.length > 0 && (
        <table data-testid="invoices-table">
          <thead>
            <tr>
              <th scope="col">{t('erp.number')}</th>
              <th scope="col">{t('erp.client')}</th>
              <th scope="col">{t('erp.dueDate')}</th>
              <th scope="col">{t('erp.status')}</th>
              <th scope="col" className="num">{t('erp.total')}</th>
              <th scope="col" className="num">{t('erp.balance')}</th>
            </tr>
          </thead>
          <tbody>
            {invoices.data.items.map((i) => (
              <tr key={i.id}>
                <td>
                  <Link to={`/invoices/${i.id}`}>{i.number}</Link>
                </td>
                <td>{clientName(i.client_id)}</td>
                <td>{day(i.due_date)}</td>
                <td>
                  <StatusTag status={i.status} />
                </td>
                <td className="num">{money(i.total, i.currency)}</td>
                <td className="num">{money(i.balance, i.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} total={invoices.data?.total ?? 0} page={PAGE} onChange={setOffset} />
    </section>
  );
}
