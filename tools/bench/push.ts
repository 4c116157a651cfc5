import { randomBytes } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { buildContainer, type Container } from '../../src/container.js';
import { createLogger } from '../../src/infra/logger.js';
import { startApi } from '../../src/roles/api.js';
import { startProcessor } from '../../src/roles/processor.js';
import { MqttIngest, sessionClientIds } from '../../src/telemetry/ingest/mqtt.ingest.js';
import { bareCopyRate, createBenchPoints } from './ingest.js';
import { result, type BenchResult } from './stats.js';

export interface PushBenchOptions {
  /** Readings per measurement (HTTP, then MQTT); sent 1,000 per request or message. */
  readings: number;
  points?: number;
  /** HTTP requests in flight at once. */
  concurrency?: number;
  progress: (msg: string) => void;
}

const PER_REQUEST = 1000;
/** Pushed readings must reach at least this fraction of a bare COPY on PostgreSQL + Kafka. */
export const PUSH_TARGET_OF_COPY = 0.3;

/**
 * Pushed readings end to end (request or MQTT message → bus → processor → database) against a bare
 * COPY of the same rows measured right after each run. The processor runs in this process, on a bus
 * namespace of its own so a shared Kafka's real topics are not touched.
 */
export async function benchPush(c: Container, opts: PushBenchOptions): Promise<BenchResult[]> {
  const own = c.config.kafkaBrokers
    ? await buildContainer({ ...c.config, busNamespace: `bench${randomBytes(4).toString('hex')}`, port: 0, host: '127.0.0.1' }, { logger: createLogger('warn'), migrate: false })
    : c;
  const processor = await startProcessor(own);
  const where = `${c.db.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} + ${c.config.kafkaBrokers ? 'Kafka' : 'in-process bus'}`;
  const target = (copyRate: number) => (c.db.kind === 'postgres' && c.config.kafkaBrokers ? Math.round(copyRate * PUSH_TARGET_OF_COPY) : null);
  const results: BenchResult[] = [];
  try {
    const http = await runHttp(own, opts);
    const httpCopy = await bareCopyRate(c, http.points);
    opts.progress(`HTTP push: ${http.readings} readings stored in ${(http.ms / 1000).toFixed(1)} s; bare COPY of the same rows ${Math.round(httpCopy)} rows/s`);
    results.push(result(`HTTP push (${where}, ${PER_REQUEST} readings per request, stored)`, http.readings / (http.ms / 1000), 'readings/s', target(httpCopy), httpCopy, 'higher'));

    if (!c.config.mqttUrl) {
      opts.progress('MQTT ingest not measured: MQTT_URL is unset');
    } else {
      const mqtt = await runMqtt(own, c.config.mqttUrl, opts);
      const mqttCopy = await bareCopyRate(c, mqtt.points);
      opts.progress(`MQTT ingest: ${mqtt.readings} readings stored in ${(mqtt.ms / 1000).toFixed(1)} s; bare COPY of the same rows ${Math.round(mqttCopy)} rows/s`);
      results.push(result(`MQTT ingest (${where}, ${mqtt.label}, ${PER_REQUEST} readings per message, stored)`, mqtt.readings / (mqtt.ms / 1000), 'readings/s', target(mqttCopy), mqttCopy, 'higher'));
    }
  } finally {
    await processor.stop();
    if (own !== c) await own.close();
  }
  return results;
}

interface Run {
  points: number[];
  readings: number;
  /** From the first request or message to the last reading stored. */
  ms: number;
}

/** Bodies of 1,000 readings (flow, totalizer, level at one-minute steps), point after point. */
function bodies(points: number[], readings: number): { pointId: number; body: string }[] {
  const perPoint = Math.ceil(readings / points.length / 3);
  const start = Date.now() - perPoint * 60_000 - 3600_000;
  const out: { pointId: number; body: string }[] = [];
  points.forEach((pointId, pi) => {
    const all: { variable: string; ts: string; value: number }[] = [];
    let total = 1000 + pi * 10;
    for (let i = 0; i < perPoint; i++) {
      const ts = new Date(start + i * 60_000).toISOString();
      const flow = i % 120 < 80 ? 12 + (i % 7) * 0.3 : 0;
      total += flow * 0.06;
      all.push({ variable: 'caudal', ts, value: flow }, { variable: 'totalizador', ts, value: Math.round(total * 1000) / 1000 }, { variable: 'nivel', ts, value: 30 - flow * 0.4 });
    }
    for (let i = 0; i < all.length; i += PER_REQUEST) out.push({ pointId, body: JSON.stringify({ readings: all.slice(i, i + PER_REQUEST) }) });
  });
  return out;
}

async function storedCount(c: Container, points: number[]): Promise<number> {
  const { rows } = await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = ANY($1::bigint[])', [points]);
  return rows[0]!.n;
}

/** No reading stored for this long while some are missing: the run has stalled (see untilStored). */
export const PUSH_STALL_MS = 30_000;

/**
 * Waits until `expected` readings of `points` are stored, saying how far it got every 10 s. When nothing more is
 * stored for `stallMs` it fails with where it stopped and `whenStalled` (what to check), instead of waiting on.
 */
export async function untilStored(
  count: () => Promise<number>,
  expected: number,
  opts: { progress: (line: string) => void; whenStalled: string; stallMs?: number; pollMs?: number },
): Promise<void> {
  const stallMs = opts.stallMs ?? PUSH_STALL_MS;
  let stored = await count();
  let movedAt = Date.now();
  let saidAt = Date.now();
  while (stored < expected) {
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    const now = await count();
    if (now > stored) movedAt = Date.now();
    stored = now;
    if (stored >= expected) break;
    if (Date.now() - movedAt > stallMs) {
      throw new Error(`${stored.toLocaleString('en')} of ${expected.toLocaleString('en')} pushed readings stored, none for ${stallMs / 1000} s: ${opts.whenStalled}`);
    }
    if (Date.now() - saidAt >= 10_000) {
      opts.progress(`… ${stored.toLocaleString('en')} of ${expected.toLocaleString('en')} readings stored`);
      saidAt = Date.now();
    }
  }
}

async function runHttp(c: Container, opts: PushBenchOptions): Promise<Run> {
  const points = await createBenchPoints(c, opts.points ?? 50);
  const work = bodies(points, opts.readings);
  const expected = work.reduce((n, w) => n + (JSON.parse(w.body) as { readings: unknown[] }).readings.length, 0);
  await c.processor.measurements.ensurePartitions([new Date(Date.now() - 400 * 86_400_000), new Date()]);
  const user = await c.auth.createUser('system', { email: `bench-push-${randomBytes(4).toString('hex')}@smarthydro.local`, password: randomBytes(12).toString('hex'), role: 'operator' });
  const key = await c.auth.createApiKey({ userId: user.id, role: 'operator', clientId: null }, 'bench push', points);
  const api = await startApi(c);
  opts.progress(`HTTP push: ${expected} readings, ${work.length} requests of ${PER_REQUEST} with an ingest key …`);
  try {
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < work.length) {
        const w = work[next++]!;
        const r = await fetch(`${api.url}/api/v1/points/${w.pointId}/readings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: w.body,
        });
        if (r.status !== 202) throw new Error(`push answered ${r.status}: ${await r.text()}`);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
    await untilStored(() => storedCount(c, points), expected, {
      progress: opts.progress,
      whenStalled: 'every request was accepted (202), so the processor is not storing them: check its log and the dead letters',
    });
    return { points, readings: expected, ms: performance.now() - t0 };
  } finally {
    await api.stop();
  }
}

/** The ingest as configured (MQTT_SUBSCRIPTION): exclusive, one connection; or shared over SHARED_CONNECTIONS. */
async function runMqtt(c: Container, url: string, opts: PushBenchOptions): Promise<Run & { label: string }> {
  const points = await createBenchPoints(c, opts.points ?? 50);
  const work = bodies(points, opts.readings);
  const expected = work.reduce((n, w) => n + (JSON.parse(w.body) as { readings: unknown[] }).readings.length, 0);
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const subscription = c.config.mqttSubscription;
  const ingest = new MqttIngest({
    url, topicPrefix: prefix, clientId: `${prefix}-ingest`, subscription, push: c.push,
    recordDeadLetters: (dead) => c.processor.recordDeadLetters(dead), logger: c.logger,
  });
  const sessions = sessionClientIds(`${prefix}-ingest`, subscription);
  const label = `${subscription} subscription, ${sessions.length} connection${sessions.length > 1 ? 's' : ''}`;
  await ingest.start();
  const device = await connectAsync(url, { clientId: `${prefix}-device`, clean: true });
  opts.progress(`MQTT ingest (${label}): ${expected} readings, ${work.length} QoS 1 messages of ${PER_REQUEST} …`);
  try {
    const t0 = performance.now();
    await Promise.all(work.map((w) => device.publishAsync(`${prefix}/points/${w.pointId}/readings`, w.body, { qos: 1 })));
    await untilStored(() => storedCount(c, points), expected, {
      progress: opts.progress,
      whenStalled:
        `the broker accepted all ${work.length} messages, so it most likely dropped some queued for the ingest (Mosquitto keeps ` +
        'max_queued_messages per client, 1000 by default; deploy/compose/mosquitto.conf sets 100000, see docs/operations.md): ' +
        'raise it on the broker, or run the bench with a smaller --ingest-readings',
    });
    return { points, readings: expected, ms: performance.now() - t0, label };
  } finally {
    await device.endAsync();
    await ingest.stop();
    // The bench's sessions are of no further use: drop them from the broker.
    for (const id of sessions) await (await connectAsync(url, { clientId: id, clean: true })).endAsync();
  }
}
