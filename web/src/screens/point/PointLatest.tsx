import { api } from '../../api.js';
import { formatDateTime, useI18n } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { LatestVariable, RawReading, Series, VariableDescription } from '../../types.js';
import { ErrorNote } from '../parts.js';

/** Latest value of every variable, with its age, quality score and the quality flags of that reading. */
const UNITS: Record<string, string> = { m3: 'm³' };

/** `19,75 L/s` where the server knows the stored unit, the bare number otherwise. */
export function unitOf(variable: string, described: VariableDescription[] | undefined): string | null {
  const unit = described?.find((d) => d.variable === variable)?.unit ?? null;
  return unit === null ? null : (UNITS[unit] ?? unit);
}

export function PointLatest({ pointId, described }: { pointId: number; described?: VariableDescription[] }) {
  const { t, num, qty, age } = useI18n();
  const { meta } = useSession();
  const latest = useApi((signal) => api<{ variables: LatestVariable[] }>(`/points/${pointId}/latest`, { signal }), [pointId]);
  const vars = latest.data?.variables ?? [];
  // The latest-values cache keeps the score only; the flags are on the stored reading itself.
  const readings = useApi(
    async (signal) => {
      const found = await Promise.all(
        vars.map((v) =>
          api<Series<RawReading>>(`/points/${pointId}/measurements`, {
            query: { variable: v.variable, bucket: 'raw', from: v.timestamp, to: new Date(new Date(v.timestamp).getTime() + 1000).toISOString(), limit: 1 },
            signal,
          }).then((s) => s.items[0], () => undefined),
        ),
      );
      return new Map(found.filter((r): r is RawReading => !!r).map((r) => [r.variable, r]));
    },
    [pointId, latest.data],
  );
  const flags = readings.data;
  return (
    <section aria-labelledby="latest-title">
      <h2 id="latest-title">{t('point.latest')}</h2>
      {latest.error && <ErrorNote error={latest.error} retry={latest.reload} />}
      {!latest.loading && vars.length === 0 && !latest.error && <p className="muted">{t('app.noData')}</p>}
      {vars.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('point.variable')}</th>
              <th scope="col" className="num">{t('point.value')}</th>
              <th scope="col">{t('point.time')}</th>
              <th scope="col">{t('point.age')}</th>
              <th scope="col" className="num">{t('point.quality')}</th>
              <th scope="col">{t('point.flags')}</th>
            </tr>
          </thead>
          <tbody>
            {vars.map((v) => {
              const last = flags?.get(v.variable);
              const sameReading = last && last.timestamp === v.timestamp;
              return (
                <tr key={v.variable}>
                  <th scope="row">{v.variable}</th>
                  <td className="num">
                    {typeof v.value === 'number' ? (unitOf(v.variable, described) ? qty(v.value, unitOf(v.variable, described)!, 3) : num(v.value, 3)) : String(v.value ?? '—')}
                  </td>
                  <td>{formatDateTime(v.timestamp, meta.timezone)}</td>
                  <td>{age(v.timestamp)}</td>
                  <td className="num">{num(v.quality_score * 100, 0)} %</td>
                  <td>{sameReading ? (last.quality_flags?.join(', ') || '—') : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
