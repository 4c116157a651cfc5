import { api } from '../../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { List, Submission } from '../../types.js';
import { ErrorNote } from '../parts.js';

/** The point's latest DGA submissions: slot, status, attempts and the DGA's receipt (numeroComprobante). */
export function PointDga({ pointId }: { pointId: number }) {
  const { t, num } = useI18n();
  const { meta } = useSession();
  const subs = useApi((signal) => api<List<Submission>>('/dga/submissions', { query: { point_id: pointId, limit: 48 }, signal }), [pointId]);
  const items = subs.data?.items ?? [];
  return (
    <section aria-labelledby="dga-title">
      <h2 id="dga-title">{t('point.dga')}</h2>
      {subs.error && <ErrorNote error={subs.error} retry={subs.reload} />}
      {!subs.loading && items.length === 0 && !subs.error && <p className="muted">{t('app.noData')}</p>}
      {items.length > 0 && (
        <div className="scroll" tabIndex={0} role="region" aria-labelledby="dga-title">
        <table>
          <caption className="muted">{t('point.dgaCount', { shown: num(items.length, 0), total: num(subs.data!.total, 0) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('point.slot')}</th>
              <th scope="col">{t('point.status')}</th>
              <th scope="col" className="num">{t('point.attempts')}</th>
              <th scope="col">{t('point.receipt')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id}>
                <td>{formatDateTime(s.slot_at, meta.timezone)}</td>
                <td>
                  {t(`dga.${s.status}` as MessageKey)}
                  {s.error_message && <span className="muted"> · {s.error_message}</span>}
                </td>
                <td className="num">{num(s.attempts, 0)}</td>
                <td>
                  {s.receipt ? (
                    <code data-testid="dga-receipt">{s.receipt}</code>
                  ) : (
                    '—'
                  )}
                  {s.sent_at && <span className="muted"> · {formatDateTime(s.sent_at, meta.timezone)}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
