import { lazy, Suspense, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { allPages, api } from '../api.js';
import { useI18n, type MessageKey } from '../i18n.js';
import { isStaff, useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { Client, List, Point, PointStatus, Project } from '../types.js';
import { ErrorNote, STATUS_COLORS, StatusDot, type MarkerStatus } from './parts.js';

const MapView = lazy(() => import('../map/MapView.js'));

const LEGEND: MarkerStatus[] = ['reporting', 'late', 'disconnected', 'dga_problem', 'no_data'];

export function markerStatus(s: PointStatus | undefined): MarkerStatus {
  if (!s) return 'unknown';
  return s.dga_problem ? 'dga_problem' : s.status;
}

interface Filters {
  client: string;
  project: string;
  provider: string;
  frequency: string;
  standard: string;
  q: string;
}
const NO_FILTERS: Filters = { client: '', project: '', provider: '', frequency: '', standard: '', q: '' };

const distinct = (values: (string | number | null)[]) => [...new Set(values.filter((v): v is string | number => v !== null))].sort();

export default function MapScreen() {
  const { t, num } = useI18n();
  const { user, meta } = useSession();
  const navigate = useNavigate();
  const staff = isStaff(user);
  const [f, setF] = useState<Filters>(NO_FILTERS);
  const set = (k: keyof Filters) => (v: string) => setF((old) => ({ ...old, [k]: v, ...(k === 'client' ? { project: '' } : {}) }));

  const points = useApi((signal) => allPages<Point>('/points', {}, signal), []);
  const clients = useApi((signal) => (staff ? allPages<Client>('/clients', {}, signal) : Promise.resolve([])), [staff]);
  const projects = useApi((signal) => allPages<Project>('/projects', {}, signal), []);
  // The status API is newer than some servers: without it the map still works, markers marked "status unknown".
  const statuses = useApi((signal) => api<List<PointStatus>>('/points/status', { signal }).catch(() => undefined), []);

  const statusOf = useMemo(() => new Map((statuses.data?.items ?? []).map((s) => [s.point_id, s])), [statuses.data]);
  const all = points.data ?? [];
  const shown = useMemo(() => {
    const q = f.q.trim().toLowerCase();
    return all.filter(
      (p) =>
        (!f.client || p.client_id === Number(f.client)) &&
        (!f.project || p.project_id === Number(f.project)) &&
        (!f.provider || p.provider === f.provider) &&
        (!f.frequency || p.frequency === Number(f.frequency)) &&
        (!f.standard || p.dga_standard === f.standard) &&
        (!q || p.title.toLowerCase().includes(q) || String(p.id) === q || (p.dga_code ?? '').toLowerCase().includes(q)),
    );
  }, [all, f]);
  const located = useMemo(
    () =>
      shown
        .filter((p) => p.latitude !== null && p.longitude !== null)
        .map((p) => {
          const s = markerStatus(statusOf.get(p.id));
          return { id: p.id, title: p.title, latitude: p.latitude!, longitude: p.longitude!, color: STATUS_COLORS[s], statusLabel: t(`status.${s}`) };
        }),
    [shown, statusOf, t],
  );
  const visibleProjects = (projects.data ?? []).filter((p) => !f.client || p.client_id === Number(f.client));

  const select = (key: keyof Filters, labelKey: MessageKey, options: { value: string | number; label: string }[]) => (
    <label>
      {t(labelKey)}
      <select value={f[key]} onChange={(e) => set(key)(e.target.value)}>
        <option value="">{t('map.all')}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section aria-labelledby="map-title">
      <h1 id="map-title">{t('map.title')}</h1>
      {points.error && <ErrorNote error={points.error} retry={points.reload} />}
      <div className="map-layout">
        <div className="map-side">
          <fieldset className="filters">
            <legend>{t('map.filters')}</legend>
            {staff && select('client', 'map.client', (clients.data ?? []).map((c) => ({ value: c.id, label: c.name })))}
            {select('project', 'map.project', visibleProjects.map((p) => ({ value: p.id, label: p.name })))}
            {select('provider', 'map.provider', distinct(all.map((p) => p.provider)).map((v) => ({ value: v, label: String(v) })))}
            {select('frequency', 'map.frequency', distinct(all.map((p) => p.frequency)).map((v) => ({ value: v, label: t('map.minutes', { n: v }) })))}
            {select('standard', 'map.standard', distinct(all.map((p) => p.dga_standard)).map((v) => ({ value: v, label: String(v) })))}
          </fieldset>
          <label>
            {t('map.search')}
            <input type="search" value={f.q} onChange={(e) => set('q')(e.target.value)} style={{ width: '100%' }} />
          </label>
          <p className="muted" aria-live="polite">
            {points.loading ? t('app.loading') : t('map.count', { shown: num(shown.length, 0), total: num(all.length, 0) })}
            {!statuses.loading && !statuses.data && ` · ${t('map.statusMissing')}`}
          </p>
          <ul aria-label={t('map.listLabel')}>
            {shown.map((p) => {
              const s = markerStatus(statusOf.get(p.id));
              return (
                <li key={p.id} data-testid="point-list-item">
                  <Link to={`/points/${p.id}`}>
                    <span className="title">
                      {p.title}
                      {p.latitude === null && <span className="muted"> · {t('map.noLocation')}</span>}
                    </span>
                    <StatusDot status={s} />
                  </Link>
                </li>
              );
            })}
          </ul>
        </div>
        <div className="map-main">
          <ul className="legend" aria-label={t('map.legend')}>
            {LEGEND.map((s) => (
              <li key={s}>
                <StatusDot status={s} />
              </li>
            ))}
          </ul>
          <div className="map-box">
            <Suspense fallback={<p className="loading">{t('app.loading')}</p>}>
              {points.data && <MapView points={located} styleUrl={meta.map_style_url} label={t('map.region')} onOpen={(id) => navigate(`/points/${id}`)} />}
            </Suspense>
          </div>
        </div>
      </div>
    </section>
  );
}
