import { readFileSync } from 'node:fs';
import { round } from '../../src/lib/round.js';
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const idx = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[idx]!;
}

export async function timeMany(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; p99: number; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples };
}

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target: number | null;
  baseline: number | null;
  ratio: number | null;
  pass: boolean | null;
}

/**
 * `better` says which way is good: for latencies ('lower') ratio = baseline / value (a speed-up); for
 * rates ('higher') ratio = value / baseline (e.g. ingestion as a fraction of a bare COPY).
 */
export function result(
  name: string,
  value: number,
  unit: string,
  target: number | null,
  baseline: number | null,
  better: 'lower' | 'higher' = 'lower',
): BenchResult {
  const ratio =
    baseline === null || value === 0 || baseline === 0 ? null : round(better === 'lower' ? baseline / value : value / baseline, 3);
  return {
    name,
    value: round(value, 3),
    unit,
    target,
    baseline: baseline === null ? null : round(baseline, 3),
    ratio,
    pass: target === null ? null : better === 'lower' ? value <= target : value >= target,
  };
}

export function printTable(results: BenchResult[]): void {
  const rows = [['figure', 'value', 'target', 'baseline', 'speed-up', 'pass']];
  for (const r of results) {
    rows.push([
      r.name,
      `${r.value} ${r.unit}`,
      r.target === null ? '-' : `${/\/s$/.test(r.unit) ? '≥' : '≤'} ${r.target} ${r.unit}`,
      r.baseline === null ? '-' : `${r.baseline} ${r.unit}`,
      r.ratio === null ? '-' : `${r.ratio}×`,
      r.pass === null ? '-' : r.pass ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

/**
 * Samples this process's RSS every `everyMs` from now until `stop()`, which returns the starting RSS,
 * the peak (the last reading included) and every sample, in bytes.
 */
export function sampleRss(everyMs: number, pid?: number) {
  const read = pid === undefined ? () => process.memoryUsage().rss : () => rssOf(pid);
  const start = read();
  let peak = start;
  const samples: { t: number; rss: number }[] = [];
  const take = () => {
    const rss = read();
    samples.push({ t: performance.now(), rss });
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { start, peak, samples };
    },
  };
}

/** Resident set size of another process in bytes (Linux /proc VmRSS). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Peak resident set size of a process in MB (Linux /proc VmHWM: its high-water mark); null where there is no /proc. */
export function peakRssOf(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
