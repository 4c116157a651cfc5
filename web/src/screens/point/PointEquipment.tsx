import { api } from '../../api.js';
import { useI18n } from '../../i18n.js';
import { useApi } from '../../useApi.js';
import type { List } from '../../types.js';
import { ErrorNote } from '../parts.js';
import { day, type Equipment } from '../erp/common.js';

/** The equipment installed at the point (staff only: the ERP is not shown to client users). */
export function PointEquipment({ pointId }: { pointId: number }) {
  const { t } = useI18n();
  const installed = useApi((signal) => api<List<Equipment>>(`/points/${pointId}/equipment`, { query: { limit: 100 }, signal }), [pointId]);
  return (
    <section className="card" aria-labelledby="point-equipment-title" data-testid="point-equipment">
      <h2 id="point-equipment-title">{t('erp.point.equipment')}</h2>
      {installed.error && <ErrorNote error={installed.error} retry={installed.reload} />}
      {installed.data && installed.data.items.length === 0 && <p className="muted">{t('erp.point.noEquipment')}</p>}
      {installed.data && installed.data.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('erp.equipment.name')}</th>
              <th scope="col">{t('erp.equipment.serial')}</th>
              <th scope="col">{t('erp.category')}</th>
              <th scope="col">{t('erp.equipment.model')}</th>
              <th scope="col">{t('erp.equipment.warranty')}</th>
            </tr>
          </thead>
          <tbody>
            {installed.data.items.map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td>
                <td>{e.serial_number}</td>
                <td>{t(`erp.equipment.cat.${e.category}`)}</td>
                <td>{[e.manufacturer, e.model].filter(Boolean).join(' ') || '—'}</td>
                <td>
                  {day(e.warranty_expires)}
                  {e.warranty_expires && !e.is_under_warranty ? ` (${t('erp.equipment.expired')})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
