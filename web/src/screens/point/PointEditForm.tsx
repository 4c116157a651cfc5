import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api.js';
import { useI18n } from '../../i18n.js';
import type { Point } from '../../types.js';

/** Staff rename a point; the API's problem detail is shown beside the field when it refuses. */
export function PointEditForm({ point, onSaved }: { point: Point; onSaved(): void }) {
  const { t } = useI18n();
  const [title, setTitle] = useState(point.title);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await api<Point>(`/points/${point.id}`, { method: 'PATCH', body: { title } });
      setMessage({ ok: true, text: t('point.saved') });
      onSaved();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof ApiError ? err.detail : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="edit-title">
      <h2 id="edit-title">{t('point.edit')}</h2>
      <label htmlFor="point-title-field">{t('point.titleField')}</label>{' '}
      <input id="point-title-field" data-testid="point-title-input" value={title} onChange={(e) => setTitle(e.target.value)} size={40} aria-describedby="edit-message" />{' '}
      <button type="submit" data-testid="point-save" disabled={busy}>
        {t('point.save')}
      </button>
      <p id="edit-message" role={message && !message.ok ? 'alert' : 'status'} className={message && !message.ok ? 'error' : 'muted'}>
        {message?.text}
      </p>
    </form>
  );
}
