import { useState, type FormEvent } from 'react';
import { allPages, api } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { useSession } from '../session.js';
import { useApi } from '../useApi.js';
import type { Role } from '../types.js';
import { ErrorNote } from './parts.js';
import './registry/registry.css';
import { Field, textOrNull, useSubmit, FormFooter, ListStatus } from './registry/forms.js';
import type { ClientRow, UserRow } from './registry/model.js';

const ROLES: readonly Role[] = ['admin', 'operator', 'client'];
const FIELDS = ['email', 'name', 'password', 'role', 'client_id'] as const;
type Draft = Record<(typeof FIELDS)[number], string>;
const EMPTY: Draft = { email: '', name: '', password: '', role: 'operator', client_id: '' };

/** Admin: users and their roles; a client user is bound to one client. Disabling ends their sessions and keys. */
export default function UsersScreen() {
  const { t } = useI18n();
  const { meta, user: me } = useSession();
  const list = useApi((signal) => allPages<UserRow>('/users', {}, signal), []);
  const clients = useApi((signal) => allPages<ClientRow>('/clients', {}, signal), []);
  const [creating, setCreating] = useState(false);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const submit = useSubmit();
  const toggle = useSubmit();
  const clientName = new Map((clients.data ?? []).map((c) => [c.id, c.name]));

  const save = (e: FormEvent) => {
    e.preventDefault();
    const body = {
      email: draft.email.trim().toLowerCase(),
      name: textOrNull(draft.name),
      password: draft.password,
      role: draft.role,
      ...(draft.role === 'client' ? { client_id: draft.client_id === '' ? null : Number(draft.client_id) } : {}),
    };
    void submit.run(async () => {
      await api('/users', { method: 'POST', body });
      setCreating(false);
      setDraft(EMPTY);
      list.reload();
    });
  };
  const setActive = (u: UserRow, active: boolean) =>
    void toggle.run(async () => {
      await api(`/users/${u.id}`, { method: 'PATCH', body: { is_active: active } });
      list.reload();
    });

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">{t('registry.users')}</h1>
      <div className="toolbar">
        <button type="button" onClick={() => (submit.reset(), setCreating(true))}>
          {t('registry.user.new')}
        </button>
        {submit.done && <span role="status">{t('registry.saved')}</span>}
      </div>
      {creating && (
        <form className="card registry-form" onSubmit={save} aria-labelledby="user-form-title" noValidate>
          <h2 id="user-form-title">{t('registry.user.new')}</h2>
          <Field label={t('login.email')} name="email" problem={submit.problem}>
            {(a) => <input {...a} type="email" required autoComplete="off" value={draft.email} onChange={(e) => setDraft({ ...draft, email: e.target.value })} />}
          </Field>
          <Field label={t('registry.user.name')} name="name" problem={submit.problem}>
            {(a) => <input {...a} value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />}
          </Field>
          <Field label={t('login.password')} name="password" problem={submit.problem} hint={t('registry.user.passwordHint')}>
            {(a) => <input {...a} type="password" required autoComplete="new-password" value={draft.password} onChange={(e) => setDraft({ ...draft, password: e.target.value })} />}
          </Field>
          <Field label={t('registry.user.role')} name="role" problem={submit.problem}>
            {(a) => (
              <select {...a} value={draft.role} onChange={(e) => setDraft({ ...draft, role: e.target.value })}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {t(`role.${r}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {draft.role === 'client' && (
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
          )}
          <FormFooter problem={submit.problem} fields={FIELDS} busy={submit.busy} onCancel={() => setCreating(false)} />
        </form>
      )}
      {toggle.problem && <ErrorNote error={new Error(toggle.problem.detail)} />}
      <ListStatus list={list} />
      {list.data && (
        <table>
          <caption className="muted">{t('registry.count', { n: list.data.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('login.email')}</th>
              <th scope="col">{t('registry.user.name')}</th>
              <th scope="col">{t('registry.user.role')}</th>
              <th scope="col">{t('map.client')}</th>
              <th scope="col">{t('registry.user.active')}</th>
              <th scope="col">{t('registry.created')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('registry.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.name ?? '—'}</td>
                <td>{t(`role.${u.role}`)}</td>
                <td>{u.client_id === null ? '—' : (clientName.get(u.client_id) ?? u.client_id)}</td>
                <td>{u.is_active ? t('registry.yes') : t('registry.no')}</td>
                <td>{formatDateTime(u.created_at, meta.timezone)}</td>
                <td>
                  {u.id !== me?.id && (
                    <button type="button" className="link" disabled={toggle.busy} onClick={() => setActive(u, !u.is_active)}>
                      {u.is_active ? t('registry.user.disable', { email: u.email }) : t('registry.user.enable', { email: u.email })}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
