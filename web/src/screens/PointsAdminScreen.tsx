import { useState } from 'react';
import { Link } from 'react-router-dom';
import { allPages, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import { ListStatus } from './registry/forms.js';
import './registry/registry.css';
import type { ClientRow, PointRow, ProjectRow } from './registry/model.js';

const PAGE = 50;

/** Staff: the registry's points, searchable and filtered by client and project, each with its form. */
export default function PointsAdminScreen() {
  const { t, num } = useI18n();
  const [q, setQ] = useState('');
  const [clientId, setClientId] = useState('');
  const [projectId, setProjectId] = useState('');
  const [offset, setOffset] = useState(0);
  const clients = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const projects = useApi((signal) => allPages<ProjectRow>('/projects', { client_id: clientId || undefined }, signal), [clientId]);
  const list = useApi(
    (signal) =>
      api<{ items: PointRow[]; total: number }>('/points', {
        query: { q: q.trim() || undefined, client_id: clientId || undefined, project_id: projectId || undefined, limit: PAGE, offset },
        signal,
      }),
    [q, clientId, projectId, offset],
  );
  const clientName = new Map((clients.data ?? []).map((c) => [c.id, c.name]));
  const projectName = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  const total = list.data?.total ?? 0;

  return (
    <section aria-labelledby="points-admin-title">
      <h1 id="points-admin-title">{t('registry.points')}</h1>
      <div className="toolbar">
        <label>
          {t('map.search')}{' '}
          <input type="search" value={q} onChange={(e) => (setQ(e.target.value), setOffset(0))} />
        </label>
        <label>
          {t('map.client')}{' '}
          <select value={clientId} onChange={(e) => (setClientId(e.target.value), setProjectId(''), setOffset(0))}>
            <option value="">{t('map.all')}</option>
            {(clients.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('map.project')}{' '}
          <select value={projectId} onChange={(e) => (setProjectId(e.target.value), setOffset(0))}>
            <option value="">{t('map.all')}</option>
            {(projects.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <Link to="/admin/points/new">{t('registry.point.new')}</Link>
      </div>
      <ListStatus list={list} />
      {list.data && (
        <>
          <table>
            <caption className="muted">{t('registry.range', { from: total === 0 ? 0 : offset + 1, to: offset + list.data.items.length, total })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('registry.point.title')}</th>
                <th scope="col">{t('map.client')}</th>
                <th scope="col">{t('map.project')}</th>
                <th scope="col">{t('map.provider')}</th>
                <th scope="col" className="num">{t('registry.point.frequency')}</th>
                <th scope="col">{t('point.dgaCode')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('registry.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id} data-testid="registry-point-row">
                  <td>
                    <Link to={`/points/${p.id}`}>{p.title}</Link>
                  </td>
                  <td>{clientName.get(p.client_id) ?? p.client_id}</td>
                  <td>{projectName.get(p.project_id) ?? p.project_id}</td>
                  <td>{p.provider ?? '—'}</td>
                  <td className="num">{t('map.minutes', { n: num(p.frequency, 0) })}</td>
                  <td>{p.dga_code ?? '—'}</td>
                  <td>
                    <Link to={`/admin/points/${p.id}`} aria-label={t('registry.editNamed', { name: p.title })}>
                      {t('registry.edit')}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="toolbar">
            <button type="button" className="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              {t('registry.previous')}
            </button>
            <button type="button" className="secondary" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
              {t('registry.next')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
