import { useState, type FormEvent } from 'react';
import { allPages, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import './registry/registry.css';
import { Field, textOrNull, useSubmit, FormFooter, ListStatus } from './registry/forms.js';
import type { ClientRow, ProjectRow } from './registry/model.js';

const FIELDS = ['client_id', 'name', 'code_internal'] as const;
interface Draft {
  client_id: string;
  name: string;
  code_internal: string;
}

/** Staff: projects of each client, and a form to add or change one. */
export default function ProjectsScreen() {
  const { t } = useI18n();
  const [clientFilter, setClientFilter] = useState('');
  const clients = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const list = useApi((signal) => allPages<ProjectRow>('/projects', { client_id: clientFilter || undefined }, signal), [clientFilter]);
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>({ client_id: '', name: '', code_internal: '' });
  const submit = useSubmit();
  const clientName = new Map((clients.data ?? []).map((c) => [c.id, c.name]));

  const open = (p: ProjectRow | null) => {
    submit.reset();
    setEditing(p ? p.id : 'new');
    setDraft(p ? { client_id: String(p.client_id), name: p.name, code_internal: p.code_internal ?? '' } : { client_id: clientFilter, name: '', code_internal: '' });
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    const body = { client_id: draft.client_id === '' ? undefined : Number(draft.client_id), name: draft.name.trim(), code_internal: textOrNull(draft.code_internal) };
    void submit.run(async () => {
      if (editing === 'new') await api('/projects', { method: 'POST', body });
      else await api(`/projects/${editing}`, { method: 'PATCH', body });
      setEditing(null);
      list.reload();
    });
  };

  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">{t('registry.projects')}</h1>
      <div className="toolbar">
        <label>
          {t('map.client')}{' '}
          <select value={clientFilter} onChange={(e) => setClientFilter(e.target.value)}>
            <option value="">{t('map.all')}</option>
            {(clients.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => open(null)}>
          {t('registry.project.new')}
        </button>
        {submit.done && <span role="status">{t('registry.saved')}</span>}
      </div>
      {editing !== null && (
        <form className="card registry-form" onSubmit={save} aria-labelledby="project-form-title" noValidate>
          <h2 id="project-form-title">{editing === 'new' ? t('registry.project.new') : t('registry.project.edit', { id: editing })}</h2>
          <Field label={t('map.client')} name="client_id" problem={submit.problem}>
            {(a) => (
              <select {...a} required value={draft.client_id} onChange={(e) => setDraft({ ...draft, client_id: e.target.value })}>
                <option value="">{t('registry.choose')}</option>
                {(clients.data ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label={t('registry.project.name')} name="name" problem={submit.problem}>
            {(a) => <input {...a} required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />}
          </Field>
          <Field label={t('registry.project.code')} name="code_internal" problem={submit.problem} hint={t('registry.project.codeHint')}>
            {(a) => <input {...a} value={draft.code_internal} onChange={(e) => setDraft({ ...draft, code_internal: e.target.value })} />}
          </Field>
          <FormFooter problem={submit.problem} fields={FIELDS} busy={submit.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <ListStatus list={list} />
      {list.data && (
        <table>
          <caption className="muted">{t('registry.count', { n: list.data.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('registry.project.name')}</th>
              <th scope="col">{t('map.client')}</th>
              <th scope="col">{t('registry.project.code')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('registry.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>{clientName.get(p.client_id) ?? p.client_id}</td>
                <td>{p.code_internal ?? '—'}</td>
                <td>
                  <button type="button" className="link" onClick={() => open(p)} aria-label={t('registry.editNamed', { name: p.name })}>
                    {t('registry.edit')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
