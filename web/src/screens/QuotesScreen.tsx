import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { List } from '../types.js';
import { ErrorNote } from './parts.js';
import { day, money, Pager, StatusTag, useClientsAndProjects, type Quote, type QuoteStatus } from './erp/common.js';

const STATUSES: QuoteStatus[] = ['DRAFT', 'SENT', 'ACCEPTED', 'REJECTED', 'EXPIRED'];
const PAGE = 50;

/** Quotes, newest first: staff see every client's and open the editor; a client user reads its own. */
export default function QuotesScreen() {
  const { t } = useI18n();
  const { user } = useSession();
  const staff = isStaff(user);
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const quotes = useApi((signal) => api<List<Quote>>('/quotes', { query: { status, limit: PAGE, offset }, signal }), [status, offset]);
  const { clientName } = useClientsAndProjects();

  return (
    <section aria-labelledby="quotes-title">
      <h1 id="quotes-title">{t('erp.quotes.title')}</h1>
      <div className="toolbar">
        {staff && (
          <Link className="button" to="/quotes/new" data-testid="quote-new">
            {t('erp.quotes.new')}
          </Link>
        )}
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
      </div>
      {quotes.error && <ErrorNote error={quotes.error} retry={quotes.reload} />}
      {quotes.data && quotes.data.items.length === 0 && <p className="muted">{t('erp.none')}</p>}
      {quotes.data && quotes.data.items.length > 0 && (
        <table data-testid="quotes-table">
          <thead>
            <tr>
              <th scope="col">{t('erp.number')}</th>
              <th scope="col">{t('erp.client')}</th>
              <th scope="col">{t('erp.issueDate')}</th>
              <th scope="col">{t('erp.status')}</th>
              <th scope="col" className="num">{t('erp.total')}</th>
            </tr>
          </thead>
          <tbody>
            {quotes.data.items.map((q) => (
              <tr key={q.id}>
                <td>
                  <Link to={`/quotes/${q.id}`}>{q.number}</Link>
                </td>
                <td>{clientName(q.client_id)}</td>
                <td>{day(q.issue_date)}</td>
                <td>
                  <StatusTag status={q.status} />
                </td>
                <td className="num">{money(q.total, q.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager offset={offset} total={quotes.data?.total ?? 0} page={PAGE} onChange={setOffset} />
    </section>
  );
}
