import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { api } from '../../api.js';
import { formatDateTime, useI18n, type MessageKey } from '../../i18n.js';
import { useSession } from '../../session.js';
import { useApi } from '../../useApi.js';
import type { Bucket, Series } from '../../types.js';
import type { SeriesData } from '../../charts/SeriesChart.js';
import { ErrorNote } from '../parts.js';

const SeriesChart = lazy(() => import('../../charts/SeriesChart.js'));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RANGES: { key: MessageKey; ms: number }[] = [
  { key: 'point.range.day', ms: DAY },
  { key: 'point.range.week', ms: 7 * DAY },
  { key: 'point.range.month', ms: 30 * DAY },
  { key: 'point.range.year', ms: 365 * DAY },
];
/** Zooming stops at a quarter of an hour: below that the raw readings table says more. */
const MIN_WINDOW_MS = 15 * 60_000;

export interface ChartVariable {
  variable: string;
  label: string;
  unit: string;
}

interface Window {
  from: number;
  to: number;
}

function toSeriesData(items: Bucket[]): SeriesData {
  return {
    x: items.map((b) => new Date(b.timestamp).getTime() / 1000),
    avg: items.map((b) => b.avg),
    min: items.map((b) => b.min),
    max: items.map((b) => b.max),
  };
}

function VariableChart({ pointId, v, win, onZoom, onReset }: { pointId: number; v: ChartVariable; win: Window; onZoom(w: Window): void; onReset(): void }) {
  const { t, num } = useI18n();
  const { meta } = useSession();
  // bucket=auto: the API picks the bucket that keeps the window to about 2,000 points, finer as the window narrows.
  // The answer keeps the window it was asked for, so what is on screen says which window it shows.
  const loaded = useApi(
    async (signal) => ({
      win,
      series: await api<Series<Bucket>>(`/points/${pointId}/measurements`, {
        query: { variable: v.variable, bucket: 'auto', from: new Date(win.from).toISOString(), to: new Date(win.to).toISOString() },
        signal,
      }),
    }),
    [pointId, v.variable, win.from, win.to],
  );
  const series = { ...loaded, data: loaded.data?.series };
  const data = useMemo(() => (loaded.data ? toSeriesData(loaded.data.series.items) : undefined), [loaded.data]);
  const format = useCallback((x: number) => num(x, 2), [num]);
  const labels = useMemo(() => ({ time: t('chart.time'), min: t('chart.min'), max: t('chart.max'), avg: t('chart.avg') }), [t]);
  const hasData = !!data && data.x.length > 0;
  return (
    <figure
      className="chart-wrap"
      data-testid={hasData ? 'point-chart' : undefined}
      data-variable={v.variable}
      data-bucket={series.data?.bucket}
      data-window-ms={loaded.data ? loaded.data.win.to - loaded.data.win.from : undefined}
      aria-busy={series.loading}
    >
      <figcaption>
        <h3>
          {v.label} ({v.unit})
        </h3>
        {series.data && (
          <span className="muted">
            {t('point.bucket', { bucket: series.data.bucket })} · {formatDateTime(series.data.from, meta.timezone)} – {formatDateTime(series.data.to, meta.timezone)}
          </span>
        )}
      </figcaption>
      {series.error && <ErrorNote error={series.error} retry={series.reload} />}
      {!series.loading && !hasData && !series.error && <p className="muted">{t('app.noData')}</p>}
      {hasData && (
        <Suspense fallback={<p className="loading">{t('app.loading')}</p>}>
          <SeriesChart
            title={v.label}
            unit={v.unit}
            data={data}
            timeZone={meta.timezone}
            format={format}
            labels={labels}
            onZoom={(from, to) => onZoom({ from, to: Math.max(to, from + MIN_WINDOW_MS) })}
            onReset={onReset}
          />
        </Suspense>
      )}
    </figure>
  );
}

/** Charts of flow, totalizer and water table over a chosen period; dragging zooms every chart into that window. */
export function PointCharts({ pointId, variables }: { pointId: number; variables: ChartVariable[] }) {
  const { t } = useI18n();
  const [range, setRange] = useState(RANGES[1]!.ms);
  const [now] = useState(() => Math.ceil(Date.now() / HOUR) * HOUR);
  const [win, setWin] = useState<Window>({ from: now - range, to: now });
  const choose = (ms: number) => {
    setRange(ms);
    setWin({ from: now - ms, to: now });
  };
  return (
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">{t('point.charts')}</h2>
      <div className="toolbar" role="group" aria-label={t('point.range')}>
        {RANGES.map((r) => (
          <button key={r.key} type="button" className="secondary" aria-pressed={range === r.ms && win.to - win.from === r.ms} onClick={() => choose(r.ms)}>
            {t(r.key)}
          </button>
        ))}
        <span className="muted">{t('point.zoomHint')}</span>
      </div>
      {variables.length === 0 && <p className="muted">{t('app.noData')}</p>}
      {variables.map((v) => (
        <VariableChart key={v.variable} pointId={pointId} v={v} win={win} onZoom={setWin} onReset={() => choose(range)} />
      ))}
    </section>
  );
}
