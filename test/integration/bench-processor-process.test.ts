import { gunzipSync } from 'node:zlib';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContainer, type Container } from '../../src/container.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/infra/logger.js';
import { benchIngestion, createBenchPoints } from '../../tools/bench/ingest.js';
import { startApiProcess, startProcessorProcess } from '../../tools/bench/role-process.js';
import { processSink, startWriter } from '../../tools/bench/writer.js';
import { LATEST_SNAPSHOT_TIMING } from '../../src/telemetry/query/latest.service.js';
import { freshDatabase, REDIS_URL, SECRET_KEY, uniquePrefix } from './support.js';

/**
 * The bench's processor process (`start --roles processor`, as deployed) on PostgreSQL, Kafka and Redis:
 * the ingestion figure drains a backlog through it, and the dashboard figure writes through it while the
 * API of the bench process reads. Both store every reading once.
 */
const KAFKA = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let c: Container;

beforeAll(async () => {
  db = await freshDatabase();
  const cfg = loadConfig({
    DATABASE_URL: db.url, REDIS_URL, KAFKA_BROKERS: KAFKA, SECRET_KEY, CACHE_PREFIX: uniquePrefix(), BUS_NAMESPACE: uniquePrefix(), PORT: '0',
  });
  // The processor process reads its settings from the environment, like the bench's children.
  process.env.CACHE_PREFIX = cfg.cachePrefix;
  process.env.REDIS_URL = REDIS_URL;
  process.env.KAFKA_BROKERS = KAFKA;
  process.env.SECRET_KEY = SECRET_KEY;
  c = await buildContainer(cfg, { logger: createLogger('silent') });
}, 60_000);

afterAll(async () => {
  await c?.close();
  await db?.drop();
});

const stored = async (points: number[]) =>
  Number((await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = ANY($1::bigint[])', [points])).rows[0]!.n);

/** Bench points with flow, totalizer and level, the variables the writer sends (those of the query data set's points). */
async function writerPoints(n: number): Promise<number[]> {
  const points = await createBenchPoints(c, n);
  await c.db.query('UPDATE dynamic_schemas SET template_id = NULL, custom_config = $2::jsonb WHERE point_id = ANY($1::bigint[])', [
    points,
    JSON.stringify({ flow: { kind: 'flow', channel: 'q', unit: 'L/s' }, totalizer: { kind: 'totalizer', channel: 't', unit: 'm³' }, level: { kind: 'level', channel: 'l', unit: 'm' } }),
  ]);
  await c.events.registryChanged();
  return points;
}

describe('bench with a processor process', () => {
  it('drains a published backlog and reports its pace against a bare COPY of the same rows', async () => {
    const results = await benchIngestion(c, { readings: 60_000, points: 4, consumers: 2, progress: () => undefined });
    const [rate, copy, rss] = results;
    expect(rate!.name).toMatch(/PostgreSQL \+ Kafka, 2000 readings per message, draining a backlog/);
    expect(rate!.value).toBeGreaterThan(0);
    expect(rate!.target).toBe(Math.round(copy!.value * 0.9));
    expect(rss!.name).toMatch(/RSS of the processor process/);
    expect(rss!.value).toBeGreaterThan(20);
    // 4 points × 5,000 minutes × 3 variables, stored once (the baseline COPY put them back after a DELETE).
    const { rows } = await c.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM measurements m JOIN catchment_points p ON p.id = m.point_id WHERE p.title LIKE 'ingest %'`,
    );
    expect(rows[0]!.n).toBe(60_000);
  }, 120_000);

  it('writes through the processor process while this process serves the latest values from the shared cache', async () => {
    const points = await writerPoints(20);
    const admin = { userId: 0, role: 'admin' as const, clientId: null };
    expect((await c.latest.forPoints(admin, points)).items.every((p) => p.variables.length === 0)).toBe(true);
    const proc = await startProcessorProcess(c, 1);
    try {
      const writer = startWriter(processSink(proc), points, 10);
      await new Promise((r) => setTimeout(r, 2_500));
      const written = await writer.stop();
      expect(written).toBeGreaterThanOrEqual(60); // 3 seconds' worth at least: 10 points × 3 readings, then the last round
      expect(await stored(points)).toBe(written);
    } finally {
      await proc.stop();
    }
    // The processor process refreshed the shards in Redis and announced it: this process sees the new values
    // within the snapshot's staleness bound (the answer is rebuilt in the background; a poll meanwhile gets
    // the previous one).
    const deadline = Date.now() + LATEST_SNAPSHOT_TIMING.maxStalenessMs + 2_000;
    let complete = 0;
    while (Date.now() < deadline) {
      const seen = await c.latest.forPoints(admin, points);
      complete = seen.items.filter((p) => p.variables.length === 3).length;
      if (complete === 20) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(complete).toBe(20);
  }, 120_000);

  it('an api process (as deployed, with its node flags) serves what the processor process wrote, gzip-compressed or not', async () => {
    // 60 points: an answer above the size worth compressing (16 kB).
    const points = await writerPoints(60);
    const email = `bench-api-test-${Date.now()}@smarthydro.local`;
    await c.auth.createUser('system', { email, password: 'a long bench password', role: 'admin' });
    const api = await startApiProcess(c);
    const proc = await startProcessorProcess(c, 1);
    try {
      const login = await fetch(`${api.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'a long bench password' }) });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const latest = async (encoding: 'gzip' | 'identity') => {
        const { status, gzipped, body } = await new Promise<{ status?: number; gzipped: boolean; body: Buffer }>((resolve, reject) => {
          get(`${api.url}/api/v1/latest?point_ids=${points.join(',')}`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode, gzipped: res.headers['content-encoding'] === 'gzip', body: Buffer.concat(chunks) }));
            res.on('error', reject);
          }).on('error', reject);
        });
        expect(status).toBe(200);
        if (encoding === 'identity') expect(gzipped).toBe(false);
        const text = gzipped ? gunzipSync(body).toString('utf8') : body.toString('utf8');
        if (encoding === 'gzip' && text.length > 16 * 1024) expect(gzipped).toBe(true);
        return JSON.parse(text) as { items: { point_id: number; variables: { variable: string; value: number | null }[] }[] };
      };
      expect((await latest('identity')).items.every((p) => p.variables.length === 0)).toBe(true);
      const writer = startWriter(processSink(proc), points, 60);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await writer.stop()).toBe(await stored(points));
      // The api process hears the processor's shard swaps through Redis and reads the shards as bytes.
      const deadline = Date.now() + LATEST_SNAPSHOT_TIMING.maxStalenessMs + 2_000;
      let seen = await latest('identity');
      while (Date.now() < deadline && !seen.items.every((p) => p.variables.length === 3)) {
        await new Promise((r) => setTimeout(r, 200));
        seen = await latest('identity');
      }
      expect(seen.items.map((p) => p.point_id)).toEqual(points);
      expect(seen.items.every((p) => p.variables.map((v) => v.variable).join() === 'flow,level,totalizer')).toBe(true);
      expect(JSON.stringify(seen).length).toBeGreaterThan(16 * 1024); // so the gzip answer below is compressed
      expect(await latest('gzip')).toEqual(await latest('identity'));
      expect(api.peakRssMb()).toBeGreaterThan(20);
    } finally {
      await proc.stop();
      await api.stop();
    }
  }, 120_000);
});
