import { Link } from 'react-router-dom';
import { allPages, api } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useApi } from '../../useApi.js';
import type { List, Point } from '../../types.js';
import { ErrorNote } from '../parts.js';
import { day, type Equipment } from './common.js';

export const WARRANTY_ALERT_DAYS = 30;

/** The dashboard's panel of equipment whose warranty ends within 30 days (soonest first). */
export function WarrantyAlerts() {
  const { t } = useI18n();
  const ending = useApi((signal) => api<List<Equipment>>('/equipment', { query: { warranty_ends_within_days: WARRANTY_ALERT_DAYS, limit: 100 }, signal }), []);
  const placed = (ending.data?.items ?? []).some((e) => e.point_id !== null);
  const points = useApi((signal) => (placed ? allPages<Point>('/points', {}, signal) : Promise.resolve([] as Point[])), [placed]);
  const items = [...(ending.data?.items ?? [])].sort((a, b) => (a.warranty_expires ?? '').localeCompare(b.warranty_expires ?? ''));
  return (
    <div data-testid="warranty-alerts">
      <h2>{t('erp.warranty.title', { days: WARRANTY_ALERT_DAYS })}</h2>
      {ending.error && <ErrorNote error={ending.error} retry={ending.reload} />}
      {ending.data && (
        <p>
          <strong data-testid="warranty-count">{ending.data.total}</strong> {t('erp.warranty.count')} · <Link to="/equipment">{t('erp.warranty.open')}</Link>
        </p>
      )}
      {items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('erp.equipment.name')}</th>
              <th scope="col">{t('erp.equipment.serial')}</th>
              <th scope="col">{t('erp.equipment.warranty')}</th>
              <th scope="col">{t('erp.point')}</th>
            </tr>
          </thead>
          <tbody>
            {items.slice(0, 10).map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td>
                <td>{e.serial_number}</td>
                <td>{day(e.warranty_expires)}</td>
                <td>{e.point_id === null ? '—' : <Link to={`/points/${e.point_id}`}>{points.data?.find((p) => p.id === e.point_id)?.title ?? `#${e.point_id}`}</Link>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
