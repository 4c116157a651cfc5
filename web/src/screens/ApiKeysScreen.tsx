import { useState, type FormEvent } from 'react';
import { api } from '../api.js';
import { formatDateTime, useI18n } from '../i18n.js';
import { useSession } from '../session.js';
import { useApi } from '../useApi.js';
import { ErrorNote } from './parts.js';
import './registry/registry.css';
import { Field, FormError, useSubmit } from './registry/forms.js';
import type { ApiKeyRow, NewApiKey } from './registry/model.js';

/** The caller's API keys: a new key is shown once, with a copy button; revoking ends it at once. */
export default function ApiKeysScreen() {
  const { t } = useI18n();
  const { meta } = useSession();
  const list = useApi((signal) => api<{ items: ApiKeyRow[]; total: number }>('/api-keys', { signal }), []);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState<NewApiKey | null>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const submit = useSubmit();
  const revoke = useSubmit();

  const create = (e: FormEvent) => {
    e.preventDefault();
    setCopied(null);
    void submit.run(async () => {
      setFresh(await api<NewApiKey>('/api-keys', { method: 'POST', body: { name: name.trim() } }));
      setName('');
      list.reload();
    });
  };
  const copy = async () => {
    if (!fresh) return;
    try {
      await navigator.clipboard.writeText(fresh.key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">{t('registry.apiKeys')}</h1>
      <p className="muted">{t('registry.key.intro')}</p>
      {fresh && (
        <div className="notice" role="status" data-testid="api-key-secret">
          <p>
            <strong>{t('registry.key.once', { name: fresh.name })}</strong>
          </p>
          <div className="secret">
            <code aria-label={t('registry.key.secret')}>{fresh.key}</code>
            <button type="button" onClick={() => void copy()}>
              {t('registry.key.copy')}
            </button>
            {copied === true && <span>{t('registry.key.copied')}</span>}
            {copied === false && <span className="error">{t('registry.key.copyFailed')}</span>}
          </div>
          <button type="button" className="secondary" onClick={() => setFresh(null)}>
            {t('registry.key.hide')}
          </button>
        </div>
      )}
      <form className="card registry-form" onSubmit={create} aria-labelledby="key-form-title" noValidate>
        <h2 id="key-form-title">{t('registry.key.new')}</h2>
        <Field label={t('registry.key.name')} name="name" problem={submit.problem}>
          {(a) => <input {...a} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <FormError problem={submit.problem} fields={['name']} />
        <div className="toolbar">
          <button type="submit" disabled={submit.busy}>
            {t('registry.key.create')}
          </button>
        </div>
      </form>
      {revoke.problem && <ErrorNote error={new Error(revoke.problem.detail)} />}
      {list.error && <ErrorNote error={list.error} retry={list.reload} />}
      {list.data && (
        <table>
          <caption className="muted">{t('registry.count', { n: list.data.total })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('registry.key.name')}</th>
              <th scope="col">{t('registry.key.prefix')}</th>
              <th scope="col">{t('registry.key.scope')}</th>
              <th scope="col">{t('registry.created')}</th>
              <th scope="col">{t('registry.key.revoked')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('registry.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.scope}</td>
                <td>{formatDateTime(k.created_at, meta.timezone)}</td>
                <td>{k.revoked_at ? formatDateTime(k.revoked_at, meta.timezone) : '—'}</td>
                <td>
                  {!k.revoked_at && (
                    <button
                      type="button"
                      className="link"
                      disabled={revoke.busy}
                      onClick={() =>
                        void revoke.run(async () => {
                          await api(`/api-keys/${k.id}`, { method: 'DELETE' });
                          list.reload();
                        })
                      }
                    >
                      {t('registry.key.revoke', { name: k.name })}
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
