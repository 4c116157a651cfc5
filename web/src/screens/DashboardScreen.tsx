import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../i18n.js';
import { useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { Dashboard } from '../types.js';
import { ErrorNote } from './parts.js';
import { WarrantyAlerts } from './erp/WarrantyAlerts.js';

const PERCENT_KPIS = new Set(['reporting_now_pct', 'dga_on_time_month_pct']);

export default function DashboardScreen() {
  const { t, num } = useI18n();
  const { meta } = useSession();
  const board = useApi((signal) => api<Dashboard>('/dashboard', { signal }), []);
  const d = board.data;

  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">{t('dashboard.title')}</h1>
      {board.error && <ErrorNote error={board.error} retry={board.reload} />}
      {board.loading && !d && <p className="loading">{t('app.loading')}</p>}
      {!board.loading && !d && !board.error && <p className="muted">{t('app.noData')}</p>}
      {d && (
        <>
          <p className="muted">{t('dashboard.generated', { at: formatDateTime(d.generated_at, meta.timezone) })}</p>
          <h2>{t('dashboard.kpis')}</h2>
          <ul className="kpis">
            {d.kpis.map((k) => (
              <li key={k.key} data-testid="dashboard-kpi" data-kpi={k.key}>
                <span className="value">
                  {k.value === null ? t('app.noData') : `${num(k.value, 1)}${PERCENT_KPIS.has(k.key) || k.unit === '%' ? ' %' : k.unit ? ` ${k.unit}` : ''}`}
                </span>
                <span>{t(`dashboard.kpi.${k.key}` as MessageKey) ?? k.key}</span>
              </li>
            ))}
          </ul>
          <div className="grid2">
            <div>
              <h2>{t('dashboard.queue')}</h2>
              <p>
                {t('dashboard.pending')}: <strong>{num(d.dga_queue.pending, 0)}</strong> · {t('dashboard.retrying')}:{' '}
                <strong>{num(d.dga_queue.retrying, 0)}</strong> · {t('dashboard.attention')}: <strong>{num(d.dga_queue.needs_attention.length, 0)}</strong>
              </p>
              {d.dga_queue.needs_attention.length > 0 && (
                <table>
                  <caption className="muted">{t('dashboard.attention')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('dashboard.point')}</th>
                      <th scope="col">{t('dashboard.reason')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.dga_queue.needs_attention.map((n) => (
                      <tr key={n.submission_id}>
                        <td>
                          <Link to={`/points/${n.point_id}`}>{n.point_title}</Link>
                        </td>
                        <td>{n.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <div>
              <h2>{t('dashboard.collection')}</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('map.provider')}</th>
                    <th scope="col">{t('dashboard.lastTick')}</th>
                    <th scope="col" className="num">{t('dashboard.ticks')}</th>
                    <th scope="col" className="num">{t('dashboard.failures')}</th>
                    <th scope="col">{t('dashboard.lastError')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.collection.map((c) => (
                    <tr key={c.provider}>
                      <td>{c.provider}</td>
                      <td>{c.last_tick_at ? formatDateTime(c.last_tick_at, meta.timezone) : '—'}</td>
                      <td className="num">{num(c.ticks_24h, 0)}</td>
                      <td className="num">{num(c.failures_24h, 0)}</td>
                      <td>{c.last_error ?? t('dashboard.none')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <WarrantyAlerts />
        </>
      )}
    </section>
  );
}
