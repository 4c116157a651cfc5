import { useI18n } from '../i18n.js';
import type { PointStatusName } from '../types.js';

/** A failed request, with the server's own explanation and a way to try again. */
export function ErrorNote({ error, retry }: { error: Error; retry?: () => void }) {
  const { t } = useI18n();
  return (
    <p role="alert" className="error">
      {t('app.error', { detail: error.message })}{' '}
      {retry && (
        <button type="button" className="secondary" onClick={retry}>
          {t('app.retry')}
        </button>
      )}
    </p>
  );
}

export type MarkerStatus = PointStatusName | 'dga_problem' | 'unknown';

/** The colour names markers, dots and the legend share (CSS variables of the same names). */
export const STATUS_COLORS: Record<MarkerStatus, string> = {
  reporting: '#1a7f37',
  late: '#b35900',
  disconnected: '#c62828',
  dga_problem: '#6f42c1',
  no_data: '#6b7280',
  inactive: '#6b7280',
  unknown: '#6b7280',
};

export function StatusDot({ status }: { status: MarkerStatus }) {
  const { t } = useI18n();
  return (
    <span className="status-badge">
      <span className={`dot ${status}`} aria-hidden="true" />
      <span className="sr-label">{t(`status.${status}`)}</span>
    </span>
  );
}
