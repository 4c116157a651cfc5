import { useState } from 'react';
import { Link } from 'react-router-dom';
import { allPages, api, ApiError, download } from '../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import { ErrorNote } from './parts.js';
import './registry/registry.css';
import type { ClientRow, ComplianceCounts, ComplianceReport, SubmissionRow } from './registry/model.js';

/** At most this many months are asked for at once (one compliance request each). */
const MAX_MONTHS = 12;
/** Receipts shown per page. */
const RECEIPTS_PAGE = 50;

/** `2026-12` plus n months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const i = y * 12 + (m - 1) + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** The months from `from` to `to`, both included, oldest first (empty when reversed). */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = from; m <= to && out.length < MAX_MONTHS; m = addMonths(m, 1)) out.push(m);
  return out;
}

/** A point-month with nothing owed and nothing sent says nothing: left out of the table. */
const owesOrSent = (c: ComplianceCounts) => c.due + c.sent_on_time + c.sent_late + c.pending + c.failed + c.needs_attention > 0;

/** `2026-12` as Chile writes it: `12-2026`. */
const monthLabel = (month: string) => `${month.slice(5, 7)}-${month.slice(0, 4)}`;

function currentMonth(timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(new Date());
  return `${parts.find((p) => p.type === 'year')?.value}-${parts.find((p) => p.type === 'month')?.value}`;
}

const COLUMNS: { key: keyof ComplianceCounts | 'sent'; label: MessageKey }[] = [
  { key: 'due', label: 'dga.compliance.owed' },
  { key: 'sent', label: 'dga.compliance.sent' },
  { key: 'sent_late', label: 'dga.compliance.late' },
  { key: 'missing', label: 'dga.compliance.missing' },
  { key: 'pending', label: 'dga.compliance.pending' },
  { key: 'failed', label: 'dga.compliance.failed' },
  { key: 'needs_attention', label: 'dga.compliance.attention' },
];

/** DGA compliance per month, per client and per point; receipts received; retry of failed slots for staff. */
export default function DgaComplianceScreen() {
  const { t, num } = useI18n();
  const { meta, user } = useSession();
  const staff = isStaff(user);
  const now = currentMonth(meta.timezone);
  const [fromMonth, setFromMonth] = useState(addMonths(now, -2));
  const [toMonth, setToMonth] = useState(now);
  const [clientId, setClientId] = useState('');
  const [receiptOffset, setReceiptOffset] = useState(0);
  const months = monthsBetween(fromMonth, toMonth);
  const period = months.length > 0 ? { from: `${months[0]}-01`, to: `${addMonths(months[months.length - 1]!, 1)}-01` } : null;

  const clients = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const reports = useApi(
    (signal) =>
      Promise.all(
        months.map((m) =>
          api<ComplianceReport>('/dga/compliance', { query: { from: `${m}-01`, to: `${addMonths(m, 1)}-01`, client_id: clientId || undefined }, signal }).then(
            (r) => ({ month: m, report: r }),
          ),
        ),
      ),
    [months.join(','), clientId],
  );
  const receipts = useApi(
    (signal) =>
      period
        ? api<{ items: SubmissionRow[]; total: number }>('/dga/submissions', {
            query: { status: 'sent', ...period, client_id: clientId || undefined, limit: RECEIPTS_PAGE, offset: receiptOffset },
            signal,
          })
        : Promise.resolve({ items: [], total: 0 }),
    [period?.from, period?.to, clientId, receiptOffset],
  );
  const actionable = useApi(
    (signal) =>
      Promise.all(
        (['needs_attention', 'failed'] as const).map((status) =>
          api<{ items: SubmissionRow[]; total: number }>('/dga/submissions', { query: { status, client_id: clientId || undefined, limit: 50 }, signal }),
        ),
      ).then(([a, f]) => [...a!.items, ...f!.items]),
    [clientId],
  );
  const [retryState, setRetryState] = useState<Record<number, { busy?: boolean; message?: string; force?: boolean; ok?: boolean }>>({});

  const retry = async (s: SubmissionRow, force: boolean) => {
    setRetryState((r) => ({ ...r, [s.id]: { busy: true } }));
    try {
      await api(`/dga/submissions/${s.id}/retry`, { method: 'POST', body: force ? { force: true } : {} });
      setRetryState((r) => ({ ...r, [s.id]: { ok: true, message: t('dga.compliance.queued') } }));
      actionable.reload();
    } catch (err) {
      const needsForce = err instanceof ApiError && err.code === 'DGA_FORCE_REQUIRED';
      setRetryState((r) => ({ ...r, [s.id]: { message: err instanceof Error ? err.message : String(err), force: needsForce } }));
    }
  };
  const cell = (c: ComplianceCounts, key: (typeof COLUMNS)[number]['key']) => num(key === 'sent' ? c.sent_on_time + c.sent_late : (c[key] as number), 0);
  const pct = (c: ComplianceCounts) => (c.on_time_pct === null ? '—' : `${num(c.on_time_pct, 1)} %`);

  return (
    <section aria-labelledby="dga-title">
      <h1 id="dga-title">{t('dga.compliance.title')}</h1>
      <p className="muted">{t('dga.compliance.intro', { zone: meta.timezone })}</p>
      <div className="toolbar">
        <label>
          {t('dga.compliance.fromMonth')}{' '}
          <input type="month" value={fromMonth} max={toMonth} onChange={(e) => e.target.value && (setFromMonth(e.target.value), setReceiptOffset(0))} />
        </label>
        <label>
          {t('dga.compliance.toMonth')}{' '}
          <input type="month" value={toMonth} min={fromMonth} onChange={(e) => e.target.value && (setToMonth(e.target.value), setReceiptOffset(0))} />
        </label>
        <label>
          {t('map.client')}{' '}
          <select value={clientId} onChange={(e) => (setClientId(e.target.value), setReceiptOffset(0))}>
            <option value="">{t('map.all')}</option>
            {(clients.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!period}
          onClick={() => period && void download('/dga/compliance', { ...period, client_id: clientId || undefined, format: 'csv' }, 'dga-compliance.csv')}
        >
          {t('dga.compliance.csv')}
        </button>
      </div>
      {months.length === 0 && <p role="alert" className="error">{t('dga.compliance.badPeriod')}</p>}
      {monthsBetween(fromMonth, toMonth).length === MAX_MONTHS && addMonths(fromMonth, MAX_MONTHS - 1) < toMonth && (
        <p className="muted">{t('dga.compliance.capped', { n: MAX_MONTHS })}</p>
      )}
      {reports.error && <ErrorNote error={reports.error} retry={reports.reload} />}
      {reports.loading && !reports.data && <p className="loading">{t('app.loading')}</p>}
      {reports.data && (
        <>
          <h2>{t('dga.compliance.perClient')}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('dga.compliance.month')}</th>
                <th scope="col">{t('map.client')}</th>
                {COLUMNS.map((c) => (
                  <th key={c.key} scope="col" className="num">
                    {t(c.label)}
                  </th>
                ))}
                <th scope="col" className="num">{t('dga.compliance.onTime')}</th>
              </tr>
            </thead>
            <tbody>
              {reports.data.flatMap(({ month, report }) =>
                report.clients.filter(owesOrSent).map((c) => (
                  <tr key={`${month}-${c.client_id}`}>
                    <td className="nowrap">{monthLabel(month)}</td>
                    <td>{c.client_name}</td>
                    {COLUMNS.map((col) => (
                      <td key={col.key} className="num">
                        {cell(c, col.key)}
                      </td>
                    ))}
                    <td className="num">{pct(c)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          {reports.data.every((r) => !r.report.clients.some(owesOrSent)) && <p className="muted">{t('dga.compliance.nothingOwed')}</p>}
          <h2>{t('dga.compliance.perPoint')}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('dga.compliance.month')}</th>
                <th scope="col">{t('dga.compliance.point')}</th>
                <th scope="col">{t('point.dgaCode')}</th>
                {COLUMNS.map((c) => (
                  <th key={c.key} scope="col" className="num">
                    {t(c.label)}
                  </th>
                ))}
                <th scope="col" className="num">{t('dga.compliance.onTime')}</th>
              </tr>
            </thead>
            <tbody>
              {reports.data.flatMap(({ month, report }) =>
                report.points.filter(owesOrSent).map((p) => (
                  <tr key={`${month}-${p.point_id}`}>
                    <td className="nowrap">{monthLabel(month)}</td>
                    <td>
                      <Link to={`/points/${p.point_id}`}>{p.point_title}</Link>
                    </td>
                    <td>{p.codigo_obra ?? '—'}</td>
                    {COLUMNS.map((col) => (
                      <td key={col.key} className="num">
                        {cell(p, col.key)}
                      </td>
                    ))}
                    <td className="num">{pct(p)}</td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <p className="muted">{t('dga.compliance.hiddenPoints')}</p>
        </>
      )}

      <h2>{t('dga.compliance.actionable')}</h2>
      {actionable.error && <ErrorNote error={actionable.error} retry={actionable.reload} />}
      {actionable.data && actionable.data.length === 0 && <p className="muted">{t('dashboard.none')}</p>}
      {actionable.data && actionable.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('dga.compliance.point')}</th>
              <th scope="col">{t('point.slot')}</th>
              <th scope="col">{t('point.status')}</th>
              <th scope="col" className="num">{t('point.attempts')}</th>
              <th scope="col">{t('dashboard.reason')}</th>
              {staff && (
                <th scope="col">
                  <span className="visually-hidden">{t('registry.actions')}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {actionable.data.map((s) => {
              const st = retryState[s.id];
              return (
                <tr key={s.id} data-testid="dga-actionable">
                  <td>
                    <Link to={`/points/${s.point_id}`}>{s.point_title}</Link>
                  </td>
                  <td>{formatDateTime(s.slot_at, meta.timezone)}</td>
                  <td>{t(`dga.${s.status}`)}</td>
                  <td className="num">{num(s.attempts, 0)}</td>
                  <td>{s.error_message ?? s.error_code ?? '—'}</td>
                  {staff && (
                    <td>
                      {!st?.ok && (
                        <button type="button" className="secondary" disabled={st?.busy} onClick={() => void retry(s, false)}>
                          {t('dga.compliance.retry')}
                        </button>
                      )}
                      {st?.force && (
                        <button type="button" className="secondary" onClick={() => void retry(s, true)}>
                          {t('dga.compliance.force')}
                        </button>
                      )}
                      {st?.message && (
                        <span role="status" className={st.ok ? undefined : 'error'}>
                          {' '}
                          {st.message}
                        </span>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <h2>{t('dga.compliance.receipts')}</h2>
      {receipts.error && <ErrorNote error={receipts.error} retry={receipts.reload} />}
      {receipts.data && (
        <>
          <p className="muted">
            {t('dga.compliance.receiptCount', {
              from: receipts.data.total === 0 ? 0 : receiptOffset + 1,
              to: receiptOffset + receipts.data.items.length,
              total: receipts.data.total,
            })}
          </p>
          <ul className="receipts">
            {receipts.data.items.map((s) => (
              <li key={s.id}>
                {t('point.receipt')} <strong data-testid="dga-receipt">{s.receipt}</strong>{' '}
                · <Link to={`/points/${s.point_id}`}>{s.point_title}</Link> · {s.codigo_obra ?? '—'} · {t('point.slot')} {formatDateTime(s.slot_at, meta.timezone)}
                {s.sent_at && (
                  <>
                    {' '}
                    · {t('dga.compliance.sentAt')} {formatDateTime(s.sent_at, meta.timezone)}
                  </>
                )}
              </li>
            ))}
          </ul>
          <div className="toolbar">
            <button type="button" className="secondary" disabled={receiptOffset === 0} onClick={() => setReceiptOffset(Math.max(0, receiptOffset - RECEIPTS_PAGE))}>
              {t('registry.previous')}
            </button>
            <button
              type="button"
              className="secondary"
              disabled={receiptOffset + RECEIPTS_PAGE >= receipts.data.total}
              onClick={() => setReceiptOffset(receiptOffset + RECEIPTS_PAGE)}
            >
              {t('registry.next')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
