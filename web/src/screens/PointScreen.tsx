import { useParams, Link } from 'react-router-dom';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { Point } from '../types.js';
import { ErrorNote } from './parts.js';
import { PointLatest } from './point/PointLatest.js';
import { PointEditForm } from './point/PointEditForm.js';

export default function PointScreen() {
  const id = Number(useParams().id);
  const { t, num } = useI18n();
  const { user } = useSession();
  const point = useApi((signal) => api<Point>(`/points/${id}`, { signal }), [id]);
  const p = point.data;

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
          {isStaff(user) && <PointEditForm point={p} onSaved={point.reload} />}
        </>
      )}
    </article>
  );
}
