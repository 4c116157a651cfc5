import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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
  /** The user dragged over [from, to] (ms): fetch that window in finer detail. */
  onZoom(fromMs: number, toMs: number): void;
  /** Double-click: back to the chosen period. */
  onReset(): void;
}

const HEIGHT = 220;

/** A uPlot chart of one variable: the bucket averages as a line, min and max as thin lines, axes on the reporting zone's clock. */
export default function SeriesChart({ title, unit, data, timeZone, format, onZoom, onReset }: SeriesChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  const resetRef = useRef(onReset);
  resetRef.current = onReset;

  useEffect(() => {
    const el = box.current!;
    const fmt = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : `${format(v)} ${unit}`);
    const opts: uPlot.Options = {
      title: undefined,
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 70, values: (_u, vals) => vals.map((v) => format(v)) }],
      series: [
        {},
        { label: `${title} (prom.)`, stroke: '#0b62a4', width: 2, value: fmt, spanGaps: false },
        { label: 'mín.', stroke: '#8fb3d3', width: 1, value: fmt },
        { label: 'máx.', stroke: '#8fb3d3', width: 1, value: fmt },
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
  }, [data, timeZone, title, unit, format]);

  return <div ref={box} className="uplot-box" role="img" aria-label={`${title} (${unit})`} />;
}
