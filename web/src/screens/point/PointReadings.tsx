import { useState } from 'react';
import { api, download, ApiError } from '../../api.js';
import { formatDateTime, useI18n } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { RawReading, Series, VariableDescription } from '../../types.js';
import { unitOf } from './PointLatest.js';
import { ErrorNote } from '../parts.js';

const ROWS = 100;
const DAY = 86_400_000;

/** The latest raw readings of one variable, and the API's CSV export of every variable's raw readings. */
export function PointReadings({ pointId, variables, described }: { pointId: number; variables: string[]; described?: VariableDescription[] }) {
  const { t, num } = useI18n();
  const { meta } = useSession();
  const [variable, setVariable] = useState(variables[0] ?? '');
  const [csvError, setCsvError] = useState<string | null>(null);
  const [now] = useState(() => Date.now());
  const readings = useApi(
    (signal) =>
      variable
        ? api<Series<RawReading>>(`/points/${pointId}/measurements`, {
            query: { variable, bucket: 'raw', from: new Date(now - 7 * DAY).toISOString(), to: new Date(now + 60_000).toISOString(), limit: 10_000 },
            signal,
          })
        : Promise.resolve(undefined),
    [pointId, variable, now],
  );
  const rows = (readings.data?.items ?? []).slice(-ROWS).reverse();
  const exportCsv = async () => {
    setCsvError(null);
    try {
      await download(`/points/${pointId}/measurements`, { format: 'csv', bucket: 'raw', from: new Date(now - 30 * DAY).toISOString() }, `point-${pointId}.csv`);
    } catch (err) {
      setCsvError(err instanceof ApiError ? err.detail : String(err));
    }
  };
  return (
    <section aria-labelledby="raw-title">
      <h2 id="raw-title">{t('point.raw')}</h2>
      <div className="toolbar">
        <label>
          {t('point.variable')}{' '}
          <select value={variable} onChange={(e) => setVariable(e.target.value)}>
            {variables.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => void exportCsv()}>
          {t('point.csv')}
        </button>
        {csvError && (
          <span role="alert" className="error">
            {csvError}
          </span>
        )}
      </div>
      {readings.error && <ErrorNote error={readings.error} retry={readings.reload} />}
      {!readings.loading && rows.length === 0 && !readings.error && <p className="muted">{t('app.noData')}</p>}
      {rows.length > 0 && (
        <div className="scroll" tabIndex={0} role="region" aria-labelledby="raw-title">
        <table>
          <caption className="muted">{t('point.rawHint', { n: rows.length, variable })}</caption>
          <thead>
            <tr>
              <th scope="col">{t('point.time')}</th>
              <th scope="col" className="num">
                {t('point.value')}
                {unitOf(variable, described) ? ` (${unitOf(variable, described)})` : ''}
              </th>
              <th scope="col" className="num">{t('point.quality')}</th>
              <th scope="col">{t('point.flags')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.timestamp}>
                <td>{formatDateTime(r.timestamp, meta.timezone, true)}</td>
                <td className="num">{num(r.value, 3)}</td>
                <td className="num">{num(r.quality_score * 100, 0)} %</td>
                <td>{r.quality_flags?.length ? r.quality_flags.join(', ') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
