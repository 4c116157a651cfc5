import { api } from '../../api.js';
import { formatDay, useI18n } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { Consumption } from '../../types.js';
import { ErrorNote } from '../parts.js';

const DAY = 86_400_000;

function Bar({ pct }: { pct: number | null }) {
  if (pct === null) return null;
  return (
    <div className="bar" aria-hidden="true">
      <span style={{ width: `${Math.min(100, Math.max(0, pct))}%`, background: pct > 100 ? 'var(--disconnected)' : undefined }} />
    </div>
  );
}

function ConsumptionTable({ pointId, period, days, caption }: { pointId: number; period: 'day' | 'month'; days: number; caption: string }) {
  const { t, num, qty } = useI18n();
  const { meta } = useSession();
  const c = useApi(
    (signal) => api<Consumption>(`/points/${pointId}/consumption`, { query: { period, from: new Date(Date.now() - days * DAY).toISOString() }, signal }),
    [pointId, period, days],
  );
  // Periods before the point reported are left out: a column of dashes says nothing.
  const rows = (c.data?.items ?? []).filter((r) => r.volume_m3 !== null || r.avg_flow_ls !== null).reverse();
  return (
    <div>
      {c.error && <ErrorNote error={c.error} retry={c.reload} />}
      {!c.loading && rows.length === 0 && !c.error && (
        <p className="muted">
          {caption}: {t('app.noData')}
        </p>
      )}
      {rows.length > 0 && (
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{t('point.period')}</th>
              <th scope="col" className="num">{t('point.volume')}</th>
              <th scope="col" className="num">{t('point.avgFlow')}</th>
              <th scope="col" className="num">{t('point.maxFlow')}</th>
              <th scope="col">{period === 'day' ? t('point.ofGrantedFlow') : t('point.ofAnnualVolume')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const pct = period === 'day' ? r.max_pct_of_granted_flow ?? r.pct_of_granted_flow : r.pct_of_annual_volume;
              return (
                <tr key={r.start}>
                  <th scope="row">{formatDay(r.start, meta.timezone, period === 'month')}</th>
                  <td className="num">{qty(r.volume_m3, 'm³', 1)}</td>
                  <td className="num">{qty(r.avg_flow_ls, 'L/s', 2)}</td>
                  <td className="num">{qty(r.max_flow_ls, 'L/s', 2)}</td>
                  <td>
                    {pct === null ? '—' : `${num(pct, 1)} %`}
                    <Bar pct={pct} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {c.data && (
        <p className="muted">
          {t('point.granted', { flow: qty(c.data.granted_flow_ls, 'L/s', 2), volume: qty(c.data.annual_volume_m3, 'm³', 0) })}
        </p>
      )}
    </div>
  );
}

/** Extracted volume per local day and month, against the granted flow and the annual volume. */
export function PointConsumption({ pointId }: { pointId: number }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="consumption-title">
      <h2 id="consumption-title">{t('point.consumption')}</h2>
      <div className="grid2">
        <ConsumptionTable pointId={pointId} period="day" days={31} caption={t('point.perDay')} />
        <ConsumptionTable pointId={pointId} period="month" days={365} caption={t('point.perMonth')} />
      </div>
    </section>
  );
}
