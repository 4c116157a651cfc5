import { useParams, Link } from 'react-router-dom';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { Point } from '../types.js';
import { ErrorNote } from './parts.js';
import { PointLatest } from './point/PointLatest.js';
import { PointEditForm } from './point/PointEditForm.js';
import { PointCharts, type ChartVariable } from './point/PointCharts.js';
import { PointConsumption } from './point/PointConsumption.js';
import { PointDga } from './point/PointDga.js';
import { PointReadings } from './point/PointReadings.js';
import { PointStaff } from './point/PointStaff.js';
import { PointEquipment } from './point/PointEquipment.js';
import type { List, PointSchema, VariableDescription } from '../types.js';

const ROLE_ORDER = ['flow', 'totalizer', 'level'];
const UNITS: Record<string, string> = { m3: 'm³' };

/** The point's flow, totalizer and water level (as the server names them), in that order, in their stored units. */
function chartVariables(vars: VariableDescription[]): ChartVariable[] {
  return vars
    .filter((v) => v.role !== null)
    .sort((a, b) => ROLE_ORDER.indexOf(a.role!) - ROLE_ORDER.indexOf(b.role!))
    .map((v) => ({ variable: v.variable, label: v.label, unit: UNITS[v.unit ?? ''] ?? v.unit ?? '' }));
}

export default function PointScreen() {
  const id = Number(useParams().id);
  const { t, num } = useI18n();
  const { user } = useSession();
  const point = useApi((signal) => api<Point>(`/points/${id}`, { signal }), [id]);
  const staff = isStaff(user);
  const vars = useApi((signal) => api<List<VariableDescription>>(`/points/${id}/variables`, { signal }), [id]);
  const schema = useApi((signal) => (staff ? api<PointSchema>(`/points/${id}/schema`, { signal }) : Promise.resolve(undefined)), [id, staff]);
  const p = point.data;
  const variables = chartVariables(vars.data?.items ?? []);

  return (
    <article aria-labelledby="point-title">
      <p>
        <Link to="/map">← {t('point.back')}</Link>
      </p>
      {point.error && <ErrorNote error={point.error} retry={point.reload} />}
      {!p && point.loading && <p className="loading">{t('app.loading')}</p>}
      {p && (
        <>
          <h1 id="point-title">{p.title}</h1>
          <dl className="card facts">
            <div>
              <dt>{t('point.provider')}</dt>
              <dd>{p.provider ?? '—'}</dd>
            </div>
            <div>
              <dt>{t('point.frequency')}</dt>
              <dd>{t('map.minutes', { n: p.frequency })}</dd>
            </div>
            <div>
              <dt>{t('point.dgaCode')}</dt>
              <dd>{p.dga_code ?? '—'}</dd>
            </div>
            <div>
              <dt>{t('point.standard')}</dt>
              <dd>{p.dga_standard ?? '—'}</dd>
            </div>
            <div>
              <dt>{t('point.coordinates')}</dt>
              <dd>{p.latitude === null || p.longitude === null ? t('map.noLocation') : `${num(p.latitude, 5)}, ${num(p.longitude, 5)}`}</dd>
            </div>
          </dl>
          <PointLatest pointId={id} described={vars.data?.items} />
          {!vars.loading && <PointCharts pointId={id} variables={variables} />}
          <PointConsumption pointId={id} />
          <div className="grid2">
            <PointDga pointId={id} />
            {!vars.loading && <PointReadings pointId={id} variables={(vars.data?.items ?? []).map((v) => v.variable)} described={vars.data?.items} />}
          </div>
          {staff && <PointEquipment pointId={id} />}
          {staff && <PointStaff pointId={id} schema={schema.data} />}
          {staff && <PointEditForm point={p} onSaved={point.reload} />}
        </>
      )}
    </article>
  );
}
