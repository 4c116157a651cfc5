import { DAY_MS, HOUR_MS } from '../../lib/time.js';

/**
 * Hourly and daily aggregates of numeric readings (`measurement_rollups`), UTC buckets: how a batch of
 * inserted rows folds into per-bucket deltas. The SQL that applies them is in rollup.repository.ts.
 */

export type RollupResolution = '1h' | '1d';

export const ROLLUP_BUCKET_MS: Record<RollupResolution, number> = { '1h': HOUR_MS, '1d': DAY_MS };

/** A row just inserted into `measurements` (what the processor's RETURNING gives back). */
export interface InsertedMeasurement {
  point_id: number | string;
  variable: string;
  ts: Date | string;
  value_numeric: number | null;
}

/** One bucket's contribution of a batch. */
export interface RollupDelta {
  resolution: RollupResolution;
  point_id: number;
  variable: string;
  bucket: Date;
  n: number;
  sum: number;
  min: number;
  max: number;
  first_ts: Date;
  first_value: number;
  last_ts: Date;
  last_value: number;
}

/**
 * Folds a batch into one delta per (resolution, point, variable, bucket), sorted by that key (one
 * upsert cannot touch a row twice, and a fixed order keeps concurrent processors from deadlocking).
 * Non-numeric readings are left out; a reading repeated inside the batch counts once.
 */
export function rollupDeltas(rows: readonly InsertedMeasurement[]): RollupDelta[] {
  const deltas = inSeriesRuns(rows) ? foldRuns(rows) : foldAny(rows);
  return sortDeltas(deltas);
}

const RESOLUTIONS = ['1h', '1d'] as const;

function time(r: InsertedMeasurement): number {
  return r.ts instanceof Date ? r.ts.getTime() : new Date(r.ts).getTime();
}

/**
 * True when the rows come as the processor writes them: each point variable in one contiguous run,
 * strictly increasing timestamps inside it. Then no reading can repeat and buckets arrive in order.
 */
function inSeriesRuns(rows: readonly InsertedMeasurement[]): boolean {
  const seriesSeen = new Set<string>();
  let prev: InsertedMeasurement | undefined;
  let prevT = 0;
  for (const r of rows) {
    const t = time(r);
    if (!Number.isFinite(t)) return false;
    if (prev && Number(prev.point_id) === Number(r.point_id) && prev.variable === r.variable) {
      if (t <= prevT) return false;
    } else {
      const series = `${Number(r.point_id)}\u0000${r.variable}`;
      if (seriesSeen.has(series)) return false;
      seriesSeen.add(series);
    }
    prev = r;
    prevT = t;
  }
  return true;
}

/** The fast fold for rows in series runs: one open delta per resolution, closed when the bucket changes. */
function foldRuns(rows: readonly InsertedMeasurement[]): RollupDelta[] {
  const out: RollupDelta[] = [];
  const open: (RollupDelta | undefined)[] = [undefined, undefined];
  for (const r of rows) {
    const v = r.value_numeric;
    if (v === null || !Number.isFinite(v)) continue;
    const t = time(r);
    const pointId = Number(r.point_id);
    for (let k = 0; k < RESOLUTIONS.length; k++) {
      const resolution = RESOLUTIONS[k]!;
      const width = ROLLUP_BUCKET_MS[resolution];
      const bucketMs = Math.floor(t / width) * width;
      const d = open[k];
      if (d && d.point_id === pointId && d.variable === r.variable && d.bucket.getTime() === bucketMs) {
        d.n++;
        d.sum += v;
        if (v < d.min) d.min = v;
        if (v > d.max) d.max = v;
        d.last_ts = r.ts instanceof Date ? r.ts : new Date(t);
        d.last_value = v;
        continue;
      }
      const ts = r.ts instanceof Date ? r.ts : new Date(t);
      const next: RollupDelta = {
        resolution, point_id: pointId, variable: r.variable, bucket: new Date(bucketMs),
        n: 1, sum: v, min: v, max: v, first_ts: ts, first_value: v, last_ts: ts, last_value: v,
      };
      open[k] = next;
      out.push(next);
    }
  }
  return out;
}

/** Any order: one delta per key through a map; a reading repeated inside the batch counts once. */
function foldAny(rows: readonly InsertedMeasurement[]): RollupDelta[] {
  const seen = new Set<string>();
  const deltas = new Map<string, RollupDelta>();
  for (const r of rows) {
    const v = r.value_numeric;
    if (v === null || !Number.isFinite(v)) continue;
    const ts = r.ts instanceof Date ? r.ts : new Date(r.ts);
    const t = ts.getTime();
    if (!Number.isFinite(t)) continue;
    const pointId = Number(r.point_id);
    const id = `${pointId}\u0000${r.variable}\u0000${t}`;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const resolution of RESOLUTIONS) {
      const width = ROLLUP_BUCKET_MS[resolution];
      const bucketMs = Math.floor(t / width) * width;
      const key = `${resolution}\u0000${pointId}\u0000${r.variable}\u0000${bucketMs}`;
      const d = deltas.get(key);
      if (!d) {
        deltas.set(key, {
          resolution, point_id: pointId, variable: r.variable, bucket: new Date(bucketMs),
          n: 1, sum: v, min: v, max: v, first_ts: ts, first_value: v, last_ts: ts, last_value: v,
        });
        continue;
      }
      d.n++;
      d.sum += v;
      if (v < d.min) d.min = v;
      if (v > d.max) d.max = v;
      if (t < d.first_ts.getTime()) (d.first_ts = ts), (d.first_value = v);
      if (t > d.last_ts.getTime()) (d.last_ts = ts), (d.last_value = v);
    }
  }
  return [...deltas.values()];
}

function sortDeltas(deltas: RollupDelta[]): RollupDelta[] {
  return deltas.sort(
    (a, b) =>
      a.resolution.localeCompare(b.resolution) ||
      a.point_id - b.point_id ||
      (a.variable < b.variable ? -1 : a.variable > b.variable ? 1 : 0) ||
      a.bucket.getTime() - b.bucket.getTime(),
  );
}
