import pg from 'pg';
import type { Config } from '../config.js';
import { buildContainer, type Container } from '../container.js';
import { createLogger } from '../infra/logger.js';
import { startApi } from '../roles/api.js';
import { PointRepository } from '../registry/point.repository.js';
import { hashPassword } from '../auth/password.js';
import { percentile, printTable, result, timeMany, type BenchResult } from './stats.js';
import { httpLoad } from './http-load.js';

export interface BenchOptions {
  json: boolean;
  points: number;
  requests: number;
}

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
  const results: BenchResult[] = [];
  try {
    progress(opts.json, `database: ${c.db.kind}, cache: ${c.cache.kind}`);
    progress(opts.json, `building data set: ${opts.points} points …`);
    const token = await buildPoints(c, opts.points);
    const api = await startApi(c);
    try {
      const headers = { authorization: `Bearer ${token}` };
      const repo = new PointRepository(c.db);
      for (const [label, path, filter] of [
        ['all', '/api/v1/points/active', {}],
        ['frequency=5', '/api/v1/points/active?frequency=5', { frequency: 5 }],
      ] as const) {
        progress(opts.json, `measuring GET ${path} (${opts.requests} requests) …`);
        const samples = (await httpLoad(api.url + path, headers, 30, opts.requests)).sort((a, b) => a - b);
        const apiTimes = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
        const naiveRuns = Math.max(20, Math.round(opts.requests / 10));
        progress(opts.json, `measuring the uncached query (${naiveRuns} runs) …`);
        const naive = await timeMany(naiveRuns, () => repo.activeJson({ tenant: null, ...filter }));
        results.push(result(`points/active ${label} p50 (${opts.points} points)`, apiTimes.p50, 'ms', null, naive.p50));
        results.push(result(`points/active ${label} p99 (${opts.points} points)`, apiTimes.p99, 'ms', 20, naive.p99));
      }
    } finally {
      await api.stop();
    }
  } finally {
    await c.close();
    await env.drop();
  }
  const meta = { database: env.url ? 'postgres' : 'pglite', cache: cfg.redisUrl ? 'redis' : 'memory', points: opts.points };
  if (opts.json) console.log(JSON.stringify({ ...meta, results }));
  else {
    console.log(`\nSmartHydro bench — database ${meta.database}, cache ${meta.cache}; baseline = the same query uncached, straight from the database\n`);
    printTable(results);
  }
  return results.every((r) => r.pass !== false) ? 0 : 1;
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

/** 10 clients × 10 projects, points spread over Chile, 1/5/60-minute frequencies, three providers. */
async function buildPoints(c: Container, n: number): Promise<string> {
  await c.db.exec(`
    INSERT INTO clients (name, rut) SELECT 'Bench client ' || g, (10000000 + g) || '-' || g FROM generate_series(1, 10) g;
    INSERT INTO projects (client_id, name, code_internal)
      SELECT c.id, 'Bench project ' || g, 'B' || c.id || '-' || g FROM clients c, generate_series(1, 10) g;`);
  await c.db.query(
    `INSERT INTO catchment_points (project_id, title, latitude, longitude, is_telemetry_active, provider, frequency, provider_device, telemetry_start_at)
     SELECT p.id, 'Bench point ' || g, -18 - (g % 3700) / 100.0, -70.5 + (g % 100) / 100.0, g % 10 <> 0,
            (ARRAY['twin','nettra','novus'])[1 + g % 3], (ARRAY[1,5,60])[1 + (g / 3) % 3], 'dev-' || g, now()
     FROM generate_series(1, $1::int) g
     JOIN LATERAL (SELECT id FROM projects ORDER BY id OFFSET (g % 100) LIMIT 1) p ON true`,
    [n],
  );
  const email = 'bench@smarthydro.local';
  await c.db.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, $2, 'admin')`, [
    email,
    await hashPassword('bench-password'),
  ]);
  await c.events.registryChanged();
  const res = await fetchToken(c, email);
  return res;
}

async function fetchToken(c: Container, email: string): Promise<string> {
  const { buildApp } = await import('../http/app.js');
  const app = await buildApp(c);
  const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'bench-password' } });
  await app.close();
  return (r.json() as { token: string }).token;
}
