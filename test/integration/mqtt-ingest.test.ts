import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { connectAsync, type MqttClient } from 'mqtt';
import { templateConfig } from '../../src/demo/seed.js';
import { freshDatabase, REDIS_URL, runCli, SECRET_KEY, uniquePrefix, waitForExit } from './support.js';
import { PrivateServer } from './faults/harness.js';

/**
 * Devices publish 10,000 readings (50 points × 200) over MQTT while the ingest process is killed
 * (SIGKILL) and started again: afterwards every reading is stored exactly once.
 * On a private Mosquitto configured as docs/mosquitto.md says (persistence, max_queued_messages 100000): the
 * ingest's one session holds every message the devices publish while it is away or busy, more than the 1,000 of
 * Mosquitto's default (the shared broker's), which drops the rest.
 */
const KAFKA = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const PORT = Number(process.env.TEST_MQTT_PORT ?? 18832);
const MQTT_URL = `mqtt://127.0.0.1:${PORT}`;
const brokerDir = mkdtempSync(join(tmpdir(), 'smarthydro-mqtt-ingest-'));
// mosquitto drops root privileges to its own user, which must be able to write the persistence file.
chmodSync(brokerDir, 0o777);
writeFileSync(join(brokerDir, 'mosquitto.conf'), [
  `listener ${PORT} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${brokerDir}/`, 'max_queued_messages 100000', '',
].join('\n'));
const broker = new PrivateServer('mosquitto', ['-c', join(brokerDir, 'mosquitto.conf')], PORT);
const POINTS = 50;
const PER_POINT = 200;
const PER_MESSAGE = 10;
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 86_400_000;

let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
let env: Record<string, string>;
let prefix: string;
let clientId: string;
let device: MqttClient;
const procs: ChildProcess[] = [];
const pointIds: number[] = [];

const start = (roles: string) => {
  const p = runCli(['start', '--roles', roles], env);
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  p.stderr?.on('data', keep);
  p.stdout?.on('data', keep);
  p.once('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && code !== 0) console.error(`${roles} exited ${code}:\n${tail}`);
  });
  procs.push(p);
  return p;
};
const kill = async (p: ChildProcess) => {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
};
const count = async () => Number((await client.query('SELECT count(*) AS n FROM measurements')).rows[0].n);
const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 250) => {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};
/** The ingest's broker sessions exist once it subscribed: wait for its "subscribed" log line. */
const startIngest = async () => {
  const p = start('mqtt');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.includes('MQTT ingest subscribed')) resolve();
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.once('exit', () => reject(new Error(`mqtt role exited:\n${out}`)));
  });
  return p;
};

beforeAll(async () => {
  await broker.start();
  db = await freshDatabase();
  prefix = uniquePrefix();
  clientId = `${prefix}-ingest`;
  env = {
    DATABASE_URL: db.url, REDIS_URL, KAFKA_BROKERS: KAFKA, BUS_NAMESPACE: prefix, CACHE_PREFIX: prefix, SECRET_KEY,
    LOG_LEVEL: 'info', PORT: '0', MQTT_URL, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: clientId,
  };
  expect((await waitForExit(runCli(['migrate'], env))).code).toBe(0);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("INSERT INTO clients (name, rut) VALUES ('M', '12345678-5')");
  await client.query("INSERT INTO projects (client_id, name) VALUES (1, 'M')");
  const t = await client.query('INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id', ['push', JSON.stringify(templateConfig('twin'))]);
  for (let i = 0; i < POINTS; i++) {
    const p = await client.query(
      `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency) VALUES (1, $1, true, 'push', 5) RETURNING id`,
      [`mqtt well ${i}`],
    );
    await client.query('INSERT INTO dynamic_schemas (point_id, template_id) VALUES ($1, $2)', [p.rows[0].id, t.rows[0].id]);
    pointIds.push(Number(p.rows[0].id));
  }
  device = await connectAsync(MQTT_URL, { clientId: `${prefix}-device`, clean: true });
}, 120_000);

afterAll(async () => {
  for (const p of procs) await kill(p);
  await device?.endAsync();
  await client?.end();
  await db?.drop();
  await broker.stop();
  rmSync(brokerDir, { recursive: true, force: true });
});

describe('MQTT ingest on Mosquitto + Kafka + PostgreSQL', () => {
  it('stores every reading exactly once when the ingest process is killed and restarted mid-stream', async () => {
    start('processor,scheduler');
    let ingest = await startIngest();

    const messages: { topic: string; payload: string }[] = [];
    for (let m = 0; m < PER_POINT / PER_MESSAGE; m++) {
      for (const id of pointIds) {
        const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({
          variable: 'caudal',
          ts: new Date(BASE + (m * PER_MESSAGE + k) * 60_000).toISOString(),
          value: 5 + ((id + m + k) % 7),
        }));
        // Every tenth message is sent as single readings, the format small devices use.
        if (m % 10 === 0) {
          for (const r of readings) messages.push({ topic: `${prefix}/points/${id}/readings`, payload: JSON.stringify(r) });
        } else {
          messages.push({ topic: `${prefix}/points/${id}/readings`, payload: JSON.stringify({ readings }) });
        }
      }
    }
    const publish = (from: number, to: number) =>
      Promise.all(messages.slice(from, to).map((msg) => device.publishAsync(msg.topic, msg.payload, { qos: 1 })));

    const third = Math.floor(messages.length / 3);
    await publish(0, third);
    await waitFor('some readings stored', async () => (await count()) > 0, 60_000);
    await kill(ingest);
    await publish(third, 2 * third); // queued by the broker in the ingest's sessions
    ingest = await startIngest();
    await publish(2 * third, messages.length);

    const expected = POINTS * PER_POINT;
    await waitFor(`all ${expected} readings`, async () => (await count()) >= expected, 120_000);
    await new Promise((r) => setTimeout(r, 3000)); // anything redelivered late would show up now

    const perPoint = await client.query<{ point_id: string; n: number; distinct_ts: number }>(
      'SELECT point_id, count(*)::int AS n, count(DISTINCT ts)::int AS distinct_ts FROM measurements GROUP BY point_id ORDER BY point_id',
    );
    expect(perPoint.rows).toHaveLength(POINTS);
    for (const r of perPoint.rows) expect(r, `point ${r.point_id}`).toMatchObject({ n: PER_POINT, distinct_ts: PER_POINT });
    const providers = await client.query('SELECT DISTINCT provider FROM measurements');
    expect(providers.rows).toEqual([{ provider: 'push' }]);
    expect((await client.query('SELECT count(*)::int AS n FROM dead_letters')).rows[0].n).toBe(0);
  }, 300_000);

  it('a malformed payload becomes a dead letter naming the topic, and the ingest goes on', async () => {
    const topic = `${prefix}/points/${pointIds[0]}/readings`;
    await device.publishAsync(topic, 'not json at all', { qos: 1 });
    await device.publishAsync(`${prefix}/points/999999/readings`, JSON.stringify({ variable: 'caudal', ts: new Date(BASE).toISOString(), value: 1 }), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ variable: 'caudal', ts: new Date(BASE - 60_000).toISOString(), value: 3 }), { qos: 1 });
    await waitFor('the dead letters', async () => (await client.query('SELECT count(*)::int AS n FROM dead_letters')).rows[0].n >= 2, 30_000);
    const dead = await client.query<{ code: string; reason: string }>('SELECT code, reason FROM dead_letters ORDER BY code');
    expect(dead.rows.map((d) => d.code)).toEqual(['malformed_payload', 'unknown_point']);
    expect(dead.rows[0]!.reason).toContain(topic);
    await waitFor('the good reading after them', async () => (await count()) === POINTS * PER_POINT + 1, 30_000);
  }, 60_000);
});
