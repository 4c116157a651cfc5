import { Worker } from 'node:worker_threads';
import type { Db } from '../../src/infra/db/index.js';
import { sampleRss } from './stats.js';

export interface ExportFigures {
  rows: number;
  bytes: number;
  seconds: number;
  /** RSS when the download started, and its highest rise above that while it ran, MB. */
  rssStartMb: number;
  rssGrowthMb: number;
  /** Highest RSS rise in each quarter of the download, MB: flat when memory does not depend on the size. */
  rssGrowthByQuarterMb: number[];
}

const MB = 1024 * 1024;

/**
 * Downloads a CSV export from a worker thread (which counts and drops the bytes) while this thread
 * samples the process RSS. The worker is started and warmed before the baseline is taken, so its own
 * isolate is not counted as growth.
 */
export async function measureExport(url: string, headers: Record<string, string>): Promise<ExportFigures> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.once('message', async () => {
      try {
        const res = await fetch(workerData.url, { headers: workerData.headers });
        if (res.status !== 200) throw new Error('GET ' + workerData.url + ' answered ' + res.status);
        let bytes = 0, lines = 0;
        for await (const chunk of res.body) {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        }
        parentPort.postMessage({ bytes, lines });
      } catch (err) {
        parentPort.postMessage({ error: String(err && err.stack || err) });
      }
    });
    parentPort.postMessage({ ready: true });`;
  const w = new Worker(code, { eval: true, workerData: { url, headers } });
  try {
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    const sampler = sampleRss(20);
    const t0 = performance.now();
    const done = await new Promise<{ bytes: number; lines: number; error?: string }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage('go');
    });
    const { start, peak, samples } = sampler.stop();
    if (done.error) throw new Error(done.error);
    const t1 = performance.now();
    const quarters = [0, 1, 2, 3].map((q) => {
      const inQuarter = samples.filter((s) => s.t >= t0 + ((t1 - t0) * q) / 4 && s.t < t0 + ((t1 - t0) * (q + 1)) / 4);
      return Math.max(0, ...inQuarter.map((s) => s.rss - start)) / MB;
    });
    return {
      rssGrowthByQuarterMb: quarters,
      rows: done.lines - 1,
      bytes: done.bytes,
      seconds: (performance.now() - t0) / 1000,
      rssStartMb: start / MB,
      rssGrowthMb: (peak - start) / MB,
    };
  } finally {
    await w.terminate();
  }
}

/** The naive export, for comparison: every row fetched into memory, then one string. RSS rise in MB. */
export async function measureMaterialised(db: Db, pointId: number, variable: string, from: Date, to: Date): Promise<number> {
  const sampler = sampleRss(20);
  const { rows } = await db.query<{ point_id: number; variable: string; ts: Date; value_numeric: number; quality_score: number; quality_flags: string[] }>(
    `SELECT point_id, variable, ts, value_numeric, quality_score, quality_flags FROM measurements
     WHERE point_id = $1 AND variable = $2 AND ts >= $3 AND ts < $4 ORDER BY ts`,
    [pointId, variable, from, to],
  );
  const text = rows.map((r) => `${r.point_id},${r.variable},${r.ts.toISOString()},${r.value_numeric},${r.quality_score},${r.quality_flags.join(';')}`).join('\n');
  const { start, peak } = sampler.stop();
  if (text.length === 0) throw new Error('naive export found no rows');
  return (peak - start) / MB;
}
