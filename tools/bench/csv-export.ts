import { spawn } from 'node:child_process';
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
 * Downloads a CSV export from a child process (which counts and drops the bytes) while the process that serves it
 * (`servingPid`: an api process; by default this one) has its RSS sampled. Not a worker thread: a worker's heap is this process's memory, and the
 * downloaded chunks it had not collected yet counted as the server's growth (22 MB downloaded showed as up to
 * 91 MB in one run, 6 MB in the next). The child is started and ready before the baseline is taken.
 */
export async function measureExport(url: string, headers: Record<string, string>, servingPid?: number): Promise<ExportFigures> {
  const code = `
    process.once('message', async ({ url, headers }) => {
      try {
        const res = await fetch(url, { headers });
        if (res.status !== 200) throw new Error('GET ' + url + ' answered ' + res.status);
        let bytes = 0, lines = 0;
        for await (const chunk of res.body) {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        }
        process.send({ bytes, lines }, () => process.exit(0));
      } catch (err) {
        process.send({ error: String(err && err.stack || err) }, () => process.exit(0));
      }
    });
    process.send({ ready: true });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the CSV download process exited (${code})`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([new Promise<void>((resolve) => child.once('message', () => resolve())), exited]);
    await new Promise((r) => setTimeout(r, 200));
    const sampler = sampleRss(20, servingPid);
    const t0 = performance.now();
    let done: { bytes: number; lines: number; error?: string };
    let rss: ReturnType<typeof sampler.stop>;
    try {
      done = await Promise.race([
        new Promise<{ bytes: number; lines: number; error?: string }>((resolve) => {
          child.once('message', (m) => resolve(m as { bytes: number; lines: number; error?: string }));
          child.send({ url, headers });
        }),
        exited,
      ]);
    } finally {
      rss = sampler.stop();
    }
    const { start, peak, samples } = rss;
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
    if (child.exitCode === null) child.kill();
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
