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
import type { PointSchema } from '../types.js';

/** Charted kinds, in this order (the schema's `kind` of each variable). */
const CHARTED = ['flow', 'totalizer', 'level'];
const UNITS: Record<string, string> = { m3: 'm³' };

function chartVariables(schema: PointSchema | undefined): ChartVariable[] {
  const config = (schema?.merged_config ?? {}) as Record<string, { kind?: string; unit?: string; label?: string }>;
  return Object.entries(config)
    .filter(([, c]) => c && CHARTED.includes(c.kind ?? ''))
    .sort(([, a], [, b]) => CHARTED.indexOf(a.kind!) - CHARTED.indexOf(b.kind!))
    .map(([variable, c]) => ({ variable, label: c.label ?? variable, unit: UNITS[c.unit ?? ''] ?? c.unit ?? '' }));
}

export default function PointScreen() {
  const id = Number(useParams().id);
  const { t, num } = useI18n();
  const { user } = useSession();
  const point = useApi((signal) => api<Point>(`/points/${id}`, { signal }), [id]);
  const schema = useApi((signal) => api<PointSchema>(`/points/${id}/schema`, { signal }), [id]);
  const p = point.data;
  const variables = chartVariables(schema.data);
  const staff = isStaff(user);

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
            <dt>{t('point.provider')}</dt>
            <dd>{p.provider ?? '—'}</dd>
            <dt>{t('point.frequency')}</dt>
            <dd>{t('map.minutes', { n: p.frequency })}</dd>
            <dt>{t('point.dgaCode')}</dt>
            <dd>{p.dga_code ?? '—'}</dd>
            <dt>{t('point.standard')}</dt>
            <dd>{p.dga_standard ?? '—'}</dd>
            <dt>{t('point.coordinates')}</dt>
            <dd>{p.latitude === null || p.longitude === null ? t('map.noLocation') : `${num(p.latitude, 5)}, ${num(p.longitude, 5)}`}</dd>
          </dl>
          <PointLatest pointId={id} />
          {!schema.loading && <PointCharts pointId={id} variables={variables} />}
          <PointConsumption pointId={id} />
          <PointDga pointId={id} />
          {!schema.loading && <PointReadings pointId={id} variables={Object.keys((schema.data?.merged_config ?? {}) as object)} />}
          {staff && <PointStaff pointId={id} schema={schema.data} />}
          {staff && <PointEditForm point={p} onSaved={point.reload} />}
        </>
      )}
    </article>
  );
}
