import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDateTime } from '../i18n.js';

export interface SeriesData {
  /** Unix seconds. */
  x: number[];
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
}

export interface SeriesChartProps {
  title: string;
  unit: string;
  data: SeriesData;
  timeZone: string;
  /** Formats a value for the legend (`15,31`). */
  format(v: number): string;
  /** Legend names: time, minimum, maximum (in the user's language). */
  labels: { time: string; min: string; max: string; avg: string };
  /** The user dragged over [from, to] (ms): fetch that window in finer detail. */
  onZoom(fromMs: number, toMs: number): void;
  /** Double-click: back to the chosen period. */
  onReset(): void;
}

const HEIGHT = 220;

/** A uPlot chart of one variable: the bucket averages as a line, min and max as thin lines, axes on the reporting zone's clock. */
/** Axis ticks as written in Chile, on the reporting zone's clock: `02-12` over `14:00`, or `02-12-2026` on long spans. */
function timeTicks(timeZone: string) {
  return (_u: uPlot, splits: number[]) => {
    const span = splits.length > 1 ? splits[splits.length - 1]! - splits[0]! : 0;
    return splits.map((s) => {
      const text = formatDateTime(new Date(s * 1000), timeZone); // dd-mm-yyyy HH:mm
      if (span > 20 * 86_400) return text.slice(0, 10);
      return `${text.slice(0, 5)}\n${text.slice(11)}`;
    });
  };
}

export default function SeriesChart({ title, unit, data, timeZone, format, labels, onZoom, onReset }: SeriesChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const resetRef = useRef(onReset);
  resetRef.current = onReset;

  useEffect(() => {
    const el = box.current!;
    const fmt = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : `${format(v)} ${unit}`);
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true } },
      axes: [{ values: timeTicks(timeZone), size: 50 }, { label: unit, size: 70, values: (_u, vals) => vals.map((v) => format(v)) }],
      series: [
        { label: labels.time, value: (_u, ts) => (ts === null || ts === undefined ? '—' : formatDateTime(new Date(ts * 1000), timeZone)) },
        { label: `${title} (${labels.avg})`, stroke: '#0b62a4', width: 2, value: fmt, spanGaps: false },
        { label: labels.min, stroke: '#8fb3d3', width: 1, value: fmt },
        { label: labels.max, stroke: '#8fb3d3', width: 1, value: fmt },
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoomRef.current(from, to);
          },
        ],
      },
    };
    const plot = new uPlot(opts, [data.x, data.avg, data.min, data.max], el);
    const over = el.querySelector('.u-over');
    const reset = () => resetRef.current();
    over?.addEventListener('dblclick', reset);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      over?.removeEventListener('dblclick', reset);
      plot.destroy();
    };
  }, [data, timeZone, title, unit, format, labels]);

  return <div ref={box} className="uplot-box" role="img" aria-label={`${title} (${unit})`} />;
}
