import { useState, type FormEvent } from 'react';
import { allPages, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { useApi } from '../useApi.js';
import './registry/registry.css';
import { Field, textOrNull, useSubmit, FormFooter, ListStatus } from './registry/forms.js';
import type { ClientRow } from './registry/model.js';

const FIELDS = ['name', 'rut', 'address', 'phone', 'email'] as const;
type Draft = Record<(typeof FIELDS)[number], string>;
const EMPTY: Draft = { name: '', rut: '', address: '', phone: '', email: '' };

/** Staff: the clients (tenants), and a form to add or change one. */
export default function ClientsScreen() {
  const { t } = useI18n();
  const list = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const [editing, setEditing] = useState<number | 'new' | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const submit = useSubmit();

  const open = (c: ClientRow | null) => {
    submit.reset();
    setEditing(c ? c.id : 'new');
    setDraft(c ? { name: c.name, rut: c.rut, address: c.address ?? '', phone: c.phone ?? '', email: c.email ?? '' } : EMPTY);
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    const body = { name: draft.name.trim(), rut: draft.rut.trim(), address: textOrNull(draft.address), phone: textOrNull(draft.phone), email: textOrNull(draft.email) };
    void submit.run(async () => {
      if (editing === 'new') await api('/clients', { method: 'POST', body });
      else await api(`/clients/${editing}`, { method: 'PATCH', body });
      setEditing(null);
      list.reload();
    });
  };
  const label: Record<(typeof FIELDS)[number], string> = {
    name: t('registry.client.name'),
    rut: t('registry.client.rut'),
    address: t('registry.client.address'),
    phone: t('registry.client.phone'),
    email: t('registry.client.email'),
  };

  return (
    <section aria-labelledby="clients-title">
      <h1 id="clients-title">{t('registry.clients')}</h1>
      <div className="toolbar">
        <button type="button" onClick={() => open(null)}>
          {t('registry.client.new')}
        </button>
        {submit.done && <span role="status">{t('registry.saved')}</span>}
      </div>
      {editing !== null && (
        <form className="card registry-form" onSubmit={save} aria-labelledby="client-form-title" noValidate>
          <h2 id="client-form-title">{editing === 'new' ? t('registry.client.new') : t('registry.client.edit', { id: editing })}</h2>
          {FIELDS.map((f) => (
            <Field key={f} label={label[f]} name={f} problem={submit.problem} hint={f === 'rut' ? t('registry.client.rutHint') : undefined}>
              {(a) => (
                <input
                  {...a}
                  type={f === 'email' ? 'email' : 'text'}
                  required={f === 'name' || f === 'rut'}
                  value={draft[f]}
                  onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
                />
              )}
            </Field>
          ))}
          <FormFooter problem={submit.problem} fields={FIELDS} busy={submit.busy} onCancel={() => setEditing(null)} />
        </form>
      )}
      <ListStatus list={list} />
      {list.data && (
        <table>
          <caption className="muted">{t('registry.count', { n: list.data.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{label.name}</th>
              <th scope="col">{label.rut}</th>
              <th scope="col">{label.email}</th>
              <th scope="col">{label.phone}</th>
              <th scope="col">
                <span className="visually-hidden">{t('registry.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{c.rut}</td>
                <td>{c.email ?? '—'}</td>
                <td>{c.phone ?? '—'}</td>
                <td>
                  <button type="button" className="link" onClick={() => open(c)} aria-label={t('registry.editNamed', { name: c.name })}>
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
