import pg from 'pg';
import type { Config } from '../../src/config.js';
import { buildContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/infra/logger.js';
import { startApi } from '../../src/roles/api.js';
import { PointRepository } from '../../src/registry/point.repository.js';
import { BUCKETS, chooseBucket } from '../../src/telemetry/query/buckets.js';
import { percentile, printTable, result, timeMany, type BenchResult } from './stats.js';
import { httpLoad } from './http-load.js';
import { BENCH_EMAIL, BENCH_PASSWORD, buildExportPoint, buildPoints, buildTelemetry, secs, type Dataset } from './dataset.js';
import { measureExport, measureMaterialised } from './csv-export.js';
import { naive } from './naive.js';
import { benchIngestion } from './ingest.js';
import { inProcessSink, processSink, startWriter } from './writer.js';
import { startApiProcess, startProcessorProcess } from './role-process.js';
import { benchPush } from './push.js';
import { benchImport } from './import.js';
import { benchScale } from './scale.js';

export interface BenchOptions {
  json: boolean;
  points: number;
  requests: number;
  /** Points with a year of 1-minute data. Default 4 on PostgreSQL, 1 on PGlite. */
  sample?: number;
  /** Hours of 5-minute history of every point. Default 6 on PostgreSQL, 1 on PGlite. */
  historyHours?: number;
  /** Also export a point of this many rows as CSV and report the memory (e.g. 10,000,000). */
  csvRows?: number;
  /**
   * Readings through the bus and the processor (default 900,000 on PostgreSQL, 60,000 on PGlite) and pushed over
   * HTTP and MQTT (default 300,000 on PostgreSQL).
   */
  ingestReadings?: number;
  /** InteractionDetail rows of the legacy import benchmark (default 1,000,000; 50,000 with --quick). */
  importRows?: number;
  /** Points of the scale figures (default 100,000; 10,000 with --quick). */
  scalePoints?: number;
  /** DGA points of the planning and compliance figures (default 10,000; 1,000 with --quick). */
  dgaPoints?: number;
  /** Run only the query measurements, the ingestion, the legacy import or the scale benchmark (default: all). */
  only?: (typeof BENCH_PARTS)[number];
  /** Smaller data set and fewer requests (a minute on PGlite). */
  quick?: boolean;
}

export const BENCH_PARTS = ['queries', 'ingest', 'import', 'scale'] as const;

/** Only materialise the naive export when it fits comfortably in memory. */
const NAIVE_EXPORT_MAX_ROWS = 2_000_000;
/** Targets of our own for figures the product's quality bars do not name. */
const OWN_TARGET_MS = 50;
const CSV_RSS_TARGET_MB = 64;

function progress(json: boolean, msg: string) {
  // Progress goes to stderr so --json output stays one JSON object on stdout.
  process.stderr.write(`${json ? '' : '· '}${msg}\n`);
}

/**
 * The performance report. Runs against a throw-away database: an in-memory PGlite when
 * DATABASE_URL is unset, otherwise a fresh database created beside the configured one.
 */
export async function runBench(cfg: Config, opts: BenchOptions): Promise<number> {
  const env = await benchDatabase(cfg);
  const c = await buildContainer(
    { ...cfg, databaseUrl: env.url, port: 0, host: '127.0.0.1' },
    { logger: createLogger('warn'), memoryDb: !env.url },
  );
  const say = (msg: string) => progress(opts.json, msg);
  const pgDb = c.db.kind === 'postgres';
  const requests = opts.quick ? Math.min(opts.requests, 200) : opts.requests;
  const sample = opts.sample ?? (opts.quick || !pgDb ? 1 : 4);
  const historyHours = opts.historyHours ?? (opts.quick || !pgDb ? 1 : 6);
  const results: BenchResult[] = [];
  let data: Dataset | undefined;
  try {
    say(`database: ${c.db.kind}, cache: ${c.cache.kind}`);
    if (opts.only === undefined || opts.only === 'queries') data = await benchQueries(c, opts, { requests, sample, historyHours }, say, results);
    if (opts.only === undefined || opts.only === 'ingest') {
      // 900,000 readings: the processor drains them in ~9 s on two cores. With 300,000 (~3 s, some 20 batches over
      // three consumers) the consumer finishing its partitions' last batch alone, and the batch under way at the
      // first commit, were a large part of the timed span: the 3-reading ratio moved 0.66–0.84 between identical runs,
      // 0.86–0.90 at 900,000.
      const ingestReadings = opts.ingestReadings ?? (opts.quick || !pgDb ? 60_000 : 900_000);
      const pushReadings = opts.ingestReadings ?? (opts.quick || !pgDb ? 60_000 : 300_000);
      say(`measuring ingestion: ${ingestReadings.toLocaleString('en')} readings through the bus and the processor …`);
      const consumers = c.config.processorConcurrency;
      results.push(...(await benchIngestion(c, { readings: ingestReadings, points: 50, consumers, progress: say })));
      // Steady 1-minute collection: one small message per point and minute (3 readings), many points.
      say(`measuring ingestion of the same readings as small messages (3 readings each, as steady 1-minute collection publishes them) …`);
      results.push(...(await benchIngestion(c, { readings: ingestReadings, points: 500, consumers, perMessage: 3, progress: say })));
      say(`measuring pushed readings: ${pushReadings.toLocaleString('en')} over HTTP, then over MQTT (when MQTT_URL is set) …`);
      results.push(...(await benchPush(c, { readings: pushReadings, progress: say })));
    }
    if (opts.only === undefined || opts.only === 'import') {
      const rows = opts.importRows ?? (opts.quick ? 50_000 : 1_000_000);
      say(`measuring the legacy import: ${rows.toLocaleString('en')} InteractionDetail rows …`);
      results.push(...(await benchImport(c, { rows, progress: say })));
    }
  } finally {
    await c.close();
    await env.drop();
  }
  if (opts.only === undefined || opts.only === 'scale') {
    // Its own database: 100,000 points beside the query data set would change both.
    const points = opts.scalePoints ?? (opts.quick ? 10_000 : 100_000);
    const dgaPoints = opts.dgaPoints ?? (opts.quick ? 1_000 : 10_000);
    say(`measuring scale: ${points.toLocaleString('en')} points, ${dgaPoints.toLocaleString('en')} of them reporting to DGA …`);
    results.push(...(await withBenchContainer(cfg, (sc) => benchScale(sc, { points, dgaPoints, requests, token: fetchToken, progress: say }))));
  }
  const meta = {
    database: env.url ? 'postgres' : 'pglite',
    cache: cfg.redisUrl ? 'redis' : 'memory',
    only: opts.only ?? null,
    // The query data set (absent when only the ingestion ran).
    points: data ? opts.points : null,
    sample_points_with_a_year: data ? sample : null,
    history_hours: data ? historyHours : null,
    readings: data?.rows ?? 0,
    quick: Boolean(opts.quick),
  };
  if (opts.json) console.log(JSON.stringify({ ...meta, results }));
  else {
    const dataset = data
      ? `${meta.points} points, ${meta.readings.toLocaleString('en')} readings ` +
        `(a year of 1-minute data for ${sample} point(s), ${historyHours} h of history for every point)`
      : `${opts.only} only`;
    console.log(
      `\nSmartHydro bench — database ${meta.database}, cache ${meta.cache}, ${dataset}\n` +
        'baseline = the same answer computed the naive way in the same run (uncached query; raw rows instead of rollups and latest values; ' +
        'CSV: every row in memory; ingestion: a bare COPY of the same rows); speed-up = baseline / value, for ingestion value / COPY rate. Targets: the quality bars for points/active, latest values and the year; ' +
        `${OWN_TARGET_MS} ms and ${CSV_RSS_TARGET_MB} MB are this report's own.\n`,
    );
    printTable(results);
  }
  return results.every((r) => r.pass !== false) ? 0 : 1;
}

/** The query measurements on a built data set: active points, latest values, series, consumption, CSV. */
async function benchQueries(
  c: Container,
  opts: BenchOptions,
  sizes: { requests: number; sample: number; historyHours: number },
  say: (msg: string) => void,
  results: BenchResult[],
): Promise<Dataset> {
  const { requests, sample, historyHours } = sizes;
  const t0 = performance.now();
  say(`building data set: ${opts.points} points …`);
  await buildPoints(c, opts.points);
  const data = await buildTelemetry(c, { sample, historyHours }, say);
  say(`data set ready: ${data.rows.toLocaleString('en')} readings in ${secs(t0)}`);
  const token = await fetchToken(c);
  const api = await startApi(c);
  try {
    // Uncompressed answers, as for points/active: the figures are server latency, not zlib speed. The dashboard
    // polling below is also measured as a browser fetches it (gzip, compressed once per snapshot).
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'identity' };
    const http = async (label: string, path: string, how: { paced?: { n: number; pauseMs: number }; base?: string; gzip?: boolean } = {}) => {
      const { paced, base = api.url } = how;
      const n = paced?.n ?? requests;
      const at = [paced ? `${n} requests ${paced.pauseMs} ms apart` : `${n} requests`, ...(how.gzip ? ['gzip'] : []), ...(base === api.url ? [] : ['an api process'])];
      say(`measuring GET ${path.length > 110 ? path.slice(0, 110) + '…' : path} (${at.join(', ')}) …`);
      const samples = (await httpLoad(base + path, how.gzip ? { ...headers, 'accept-encoding': 'gzip' } : headers, 30, n, paced?.pauseMs)).sort((a, b) => a - b);
      say(`${samples.length} requests measured`);
      return { p50: percentile(samples, 50), p99: percentile(samples, 99), label };
    };
    const baseline = async (label: string, runs: number, fn: () => Promise<unknown>) => {
      say(`measuring the naive query: ${label} (${runs} runs) …`);
      await fn();
      return timeMany(runs, fn);
    };
    const pair = (name: string, api: { p50: number; p99: number }, base: { p50: number; p99: number } | null, target: number | null) => {
      results.push(result(`${name} p50`, api.p50, 'ms', null, base?.p50 ?? null));
      results.push(result(`${name} p99`, api.p99, 'ms', target, base?.p99 ?? null));
    };

    // Active points (cached bytes) against the uncached query.
    const repo = new PointRepository(c.db);
    for (const [label, path, filter] of [
      ['all', '/api/v1/points/active', {}],
      ['frequency=5', '/api/v1/points/active?frequency=5', { frequency: 5 }],
    ] as const) {
      const a = await http(label, path);
      const b = await baseline('points/active uncached', Math.max(20, Math.round(requests / 10)), () => repo.activeJson({ tenant: null, ...filter }));
      pair(`points/active ${label} (${opts.points} points)`, a, b, 20);
    }

    // Latest values of every point against DISTINCT ON over the raw rows.
    const latest = await http('latest', '/api/v1/latest');
    const latestBase = await baseline('DISTINCT ON over raw rows', opts.quick ? 3 : 5, () => naive.latest(c.db));
    pair(`latest values of all points (${opts.points} points)`, latest, latestBase, 10);
    // The same answer without HTTP: what the cache and the assembly cost, apart from moving ~3 MB.
    const admin = { userId: 0, role: 'admin' as const, clientId: null };
    say(`measuring the latest-values service in process (${requests} calls) …`);
    const service = await timeMany(requests, () => c.latest.forPointsJson(admin));
    pair(`latest values of all points, in process from the ${c.cache.kind} cache (no HTTP)`, service, latestBase, 10);
    // CSV export: the year of one variable, and optionally a larger dedicated point, streamed by `served` (an api
    // process with its deployed flags when the roles run apart, its RSS sampled from /proc; else this process, whose
    // own heap — the data set, the bench's clients — moved the figure between 0.4 and 85 MB from run to run).
    const measureExports = async (served: { url: string; pid?: number; by: string }) => {
      const point = data.sample[0]!;
      const exports: { pointId: number; from: Date; to: Date; label: string }[] = [{ pointId: point, from: data.yearStart, to: data.end, label: 'a year of 1-minute flow' }];
      if (opts.csvRows) {
        const big = await buildExportPoint(c, opts.csvRows, say);
        exports.push({ ...big, label: `${opts.csvRows.toLocaleString('en')} rows` });
      }
      const iso = (d: Date) => encodeURIComponent(d.toISOString());
      const csvUrl = (pointId: number, from: Date, to: Date) =>
        `${served.url}/api/v1/points/${pointId}/measurements?variable=flow&from=${iso(from)}&to=${iso(to)}&bucket=raw&format=csv`;
      for (const e of exports) {
        say(`exporting ${e.label} as CSV (streamed by ${served.by}) …`);
        await measureExport(csvUrl(e.pointId, new Date(e.to.getTime() - 86_400_000), e.to), headers, served.pid); // warm-up
        const x = await measureExport(csvUrl(e.pointId, e.from, e.to), headers, served.pid);
        say(
          `CSV: ${x.rows.toLocaleString('en')} rows, ${(x.bytes / 1024 / 1024).toFixed(0)} MB in ${x.seconds.toFixed(1)} s; ` +
            `RSS ${x.rssStartMb.toFixed(0)} MB at start, +${x.rssGrowthMb.toFixed(1)} MB at most ` +
            `(highest rise per quarter of the download: ${x.rssGrowthByQuarterMb.map((m) => m.toFixed(0)).join(' / ')} MB)`,
        );
        let naiveGrowth: number | null = null;
        if (x.rows <= NAIVE_EXPORT_MAX_ROWS) {
          say('exporting the same rows the naive way (all in memory) …');
          naiveGrowth = await measureMaterialised(c.db, e.pointId, 'flow', e.from, e.to);
        }
        results.push(result(`CSV export of ${x.rows.toLocaleString('en')} rows: RSS growth of ${served.by}`, x.rssGrowthMb, 'MB', CSV_RSS_TARGET_MB, naiveGrowth));
        results.push(result(`CSV export of ${x.rows.toLocaleString('en')} rows: throughput`, x.rows / x.seconds, 'rows/s', null, null));
      }
    };

    // The dashboard polled 4×/s as a browser polls it (gzip), first with nothing written (what the pacing alone
    // costs; no target), then while the processor writes 1-minute data of every point, spread so that every
    // latest-values shard changes every second (the processor swaps each reloaded shard in); then the same
    // uncompressed, for reference (~3 MB per answer instead of ~200 kB). With PostgreSQL, Redis and Kafka the
    // processor and the api are processes of their own with their deployed node flags (the processor's writes
    // reach the api as cache invalidations, and the api's thread serves requests only, not this bench's Kafka
    // clients); embedded both run in this process, as `npm start` runs them.
    const separate = c.db.kind === 'postgres' && c.config.kafkaBrokers !== undefined && c.cache.kind === 'redis';
    const paced = { n: opts.quick ? 40 : 200, pauseMs: 250 };
    const apiProc = separate ? await startApiProcess(c) : undefined;
    try {
      const polled = { paced, base: apiProc?.url ?? api.url, gzip: true };
      const served = apiProc ? ' by an api process' : '';
      const quiet = await http('latest polled, nothing written', '/api/v1/latest', polled);
      pair(`latest values of all points, polled 4×/s${served} (gzip), nothing written`, quiet, latestBase, null);
      const active = (await c.db.query<{ id: number }>('SELECT id FROM catchment_points WHERE is_telemetry_active ORDER BY id')).rows.map((r) => Number(r.id));
      const perSecond = Math.max(1, Math.round(active.length / 60));
      say(`writing 1-minute data of ${active.length} points through the processor (${perSecond} points/s, ${separate ? 'a processor process' : 'in this process'}) while measuring …`);
      const proc = separate ? await startProcessorProcess(c, c.config.processorConcurrency) : undefined;
      const writer = startWriter(proc ? processSink(proc) : inProcessSink(c), active, perSecond);
      let busy: { p50: number; p99: number };
      let busyIdentity: { p50: number; p99: number };
      try {
        busy = await http('latest while writing', '/api/v1/latest', polled);
        busyIdentity = await http('latest while writing, uncompressed', '/api/v1/latest', { ...polled, gzip: false });
      } finally {
        const written = await writer.stop().finally(() => proc?.stop());
        say(`the processor stored ${written.toLocaleString('en')} measurements meanwhile`);
      }
      // Every shard changes every second. The answer is a snapshot rebuilt in the background at most once a
      // second, so a poll does not wait for the rebuild; the bar is 10 ms on PostgreSQL and 20 ms embedded
      // (the database and the processor then share this thread).
      const writing = `while ${perSecond} points/s are written${separate ? ' by a processor process' : ''}`;
      pair(`latest values of all points, polled 4×/s${served} (gzip) ${writing}`, busy, latestBase, c.db.kind === 'postgres' ? 10 : 20);
      pair(`latest values of all points, polled 4×/s${served}, uncompressed (~3 MB per answer; reference) ${writing}`, busyIdentity, latestBase, null);
      const apiRss = apiProc?.peakRssMb();
      if (apiRss) results.push(result('RSS of the api process, peak (latest values polled, then while written)', apiRss, 'MB', null, null));
      if (apiProc) await measureExports({ url: apiProc.url, pid: apiProc.pid, by: 'an api process' });
    } finally {
      await apiProc?.stop();
    }

    const point = data.sample[0]!;
    const { end, yearStart } = data;
    const iso = (d: Date) => encodeURIComponent(d.toISOString());

    // One year of 1-minute data downsampled (auto) against GROUP BY over the raw rows.
    const bucket = chooseBucket(yearStart, end);
    const year = await http('year', `/api/v1/points/${point}/measurements?variable=flow&from=${iso(yearStart)}&to=${iso(end)}&bucket=auto`);
    const yearBase = await baseline(`GROUP BY ${bucket} over a year of raw rows`, opts.quick ? 5 : 10, () =>
      naive.series(c.db, point, 'flow', yearStart, end, BUCKETS[bucket].ms / 1000),
    );
    pair(`one year of 1-minute data downsampled to ${bucket} (≤ 2,000 points)`, year, yearBase, 50);

    // One day of raw readings against selecting the day by calendar date.
    const day = new Date(Math.floor((end.getTime() - 30 * 86_400_000) / 86_400_000) * 86_400_000);
    const dayEnd = new Date(day.getTime() + 86_400_000);
    const raw = await http('day', `/api/v1/points/${point}/measurements?variable=flow&from=${iso(day)}&to=${iso(dayEnd)}&bucket=raw`);
    const rawBase = await baseline('ts::date = day over raw rows', opts.quick ? 10 : 20, () => naive.day(c.db, point, 'flow', day));
    pair('one day of raw 1-minute readings (1,440 rows)', raw, rawBase, OWN_TARGET_MS);

    // Monthly consumption of the year against max − min per month over the raw rows.
    const cons = await http('consumption', `/api/v1/points/${point}/consumption?period=month&from=${iso(yearStart)}&to=${iso(end)}&variable=totalizer`);
    const consBase = await baseline('max − min per month over raw rows', opts.quick ? 5 : 10, () =>
      naive.consumption(c.db, point, yearStart, end, c.config.reportTimezone),
    );
    pair('monthly consumption over a year', cons, consBase, OWN_TARGET_MS);
    if (!separate) await measureExports({ url: api.url, by: 'this process' });

  } finally {
    await api.stop();
  }
  return data;
}

/** A container on a throw-away database (and a cache prefix of its own), closed and dropped after `fn`. */
async function withBenchContainer<T>(cfg: Config, fn: (c: Container) => Promise<T>): Promise<T> {
  const env = await benchDatabase(cfg);
  const c = await buildContainer(
    { ...cfg, databaseUrl: env.url, port: 0, host: '127.0.0.1', cachePrefix: `${cfg.cachePrefix}-scale${process.pid}` },
    { logger: createLogger('warn'), memoryDb: !env.url },
  );
  try {
    return await fn(c);
  } finally {
    await c.close();
    await env.drop();
  }
}

async function benchDatabase(cfg: Config): Promise<{ url?: string; drop: () => Promise<void> }> {
  if (!cfg.databaseUrl) return { drop: async () => undefined };
  const name = `smarthydro_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: cfg.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(cfg.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: cfg.databaseUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

async function fetchToken(c: Container): Promise<string> {
  const { buildApp } = await import('../../src/http/app.js');
  const app = await buildApp(c);
  const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: BENCH_EMAIL, password: BENCH_PASSWORD } });
  await app.close();
  return (r.json() as { token: string }).token;
}
