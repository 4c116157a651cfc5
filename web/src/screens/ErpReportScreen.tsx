import { useState, type FormEvent } from 'react';
import { api, download } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNote } from './parts.js';
import { useSession } from '../session.js';
import { FieldMessage, money, todayIn, useClientsAndProjects, type Currency } from './erp/common.js';

interface ReportRow {
  currency: Currency;
  quoted: string;
  invoiced: string;
  paid: string;
  outstanding: string;
  expenses: string;
  margin: string;
}
interface Report {
  from: string;
  to: string;
  currencies: ReportRow[];
}
const COLUMNS = ['quoted', 'invoiced', 'paid', 'outstanding', 'expenses', 'margin'] as const;


/** The ERP report for a client or project over a period: what was quoted, invoiced, paid, is owed, spent, and the margin. */
export default function ErpReportScreen() {
  const { t } = useI18n();
  const { clients, projects } = useClientsAndProjects();
  const { meta } = useSession();
  const [q, setQ] = useState(() => {
    const today = todayIn(meta.timezone);
    return { client_id: '', project_id: '', from: `${today.slice(0, 4)}-01-01`, to: today };
  });
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const query = { client_id: q.client_id || undefined, project_id: q.project_id || undefined, from: q.from, to: q.to };
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setReport(await api<Report>('/erp/report', { query }));
    } catch (err) {
      setReport(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const csv = () => download('/erp/report', { ...query, format: 'csv' }, `erp-report-${q.from}-${q.to}.csv`).catch((err: unknown) => setError(err));

  return (
    <section aria-labelledby="report-title">
      <h1 id="report-title">{t('erp.report.title')}</h1>
      <form className="card" onSubmit={(e) => void run(e)} aria-label={t('erp.report.filters')} noValidate>
        <div className="form-grid">
          <label>
            {t('erp.client')}
            <select value={q.client_id} onChange={(e) => setQ({ ...q, client_id: e.target.value, project_id: '' })}>
              <option value="">{t('erp.all')}</option>
              {clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('erp.project')}
            <select value={q.project_id} onChange={(e) => setQ({ ...q, project_id: e.target.value })}>
              <option value="">{t('erp.all')}</option>
              {projects
                .filter((p) => !q.client_id || String(p.client_id) === q.client_id)
                .map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
            </select>
          </label>
          <label>
            {t('erp.report.from')}
            <input type="date" value={q.from} onChange={(e) => setQ({ ...q, from: e.target.value })} aria-describedby="err-r-from" />
            <FieldMessage error={error} field="from" id="err-r-from" />
          </label>
          <label>
            {t('erp.report.to')}
            <input type="date" value={q.to} onChange={(e) => setQ({ ...q, to: e.target.value })} aria-describedby="err-r-to" />
            <FieldMessage error={error} field="to" id="err-r-to" />
          </label>
        </div>
        <p className="toolbar">
          <button type="submit" data-testid="report-run" disabled={busy}>
            {t('erp.report.run')}
          </button>
          <button type="button" className="secondary" data-testid="report-csv" onClick={() => void csv()}>
            {t('erp.report.csv')}
          </button>
        </p>
      </form>
      {error instanceof Error && !('problem' in error && (error as { problem?: { field?: string } }).problem?.field) && <ErrorNote error={error} />}
      {report && report.currencies.length === 0 && <p className="muted">{t('erp.none')}</p>}
      {report && report.currencies.length > 0 && (
        <table data-testid="report-table">
          <thead>
            <tr>
              <th scope="col">{t('erp.currency')}</th>
              {COLUMNS.map((c) => (
                <th key={c} scope="col" className="num">
                  {t(`erp.report.${c}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {report.currencies.map((r) => (
              <tr key={r.currency}>
                <th scope="row">{r.currency}</th>
                {COLUMNS.map((c) => (
                  <td key={c} className="num">
                    {money(r[c], r.currency)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
