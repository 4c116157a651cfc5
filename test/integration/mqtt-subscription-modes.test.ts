import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, connectAsync, type IConnackPacket, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { MqttSubscriptionMode } from '../../src/config.js';
import { templateConfig } from '../../src/demo/seed.js';
import type { RunningRole } from '../../src/roles/api.js';
import { startProcessor } from '../../src/roles/processor.js';
import { MqttIngest, sessionClientIds } from '../../src/telemetry/ingest/mqtt.ingest.js';
import { createTestContext, seedTenant, type TestContext } from '../support/context.js';
import { uniquePrefix } from './support.js';

/**
 * Switching MQTT_SUBSCRIPTION (exclusive ↔ shared) with readings queued in the sessions of the mode left behind,
 * on the local Mosquitto (the readings stored by the real processor on PGlite): nothing is lost, and the sessions of
 * the other mode are removed from the broker, so none keeps queueing copies of every reading.
 */
const MQTT_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const PER_MESSAGE = 5;
const MESSAGES = 20;
const BASE = Date.UTC(2026, 10, 30, 10);

let t: TestContext;
let processor: RunningRole;
let device: MqttClient;
let pointId: number;
const prefix = uniquePrefix();
const clientId = `${prefix}-ingest`;
const logs: string[] = [];
let batches = 0;

const count = async () => Number((await t.c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM measurements WHERE point_id = $1', [pointId])).rows[0]!.n);
const waitFor = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${logs.slice(-20).join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
/** MESSAGES messages of PER_MESSAGE readings, at minutes no other batch uses. */
const publishBatch = async () => {
  const first = batches++ * MESSAGES * PER_MESSAGE;
  for (let m = 0; m < MESSAGES; m++) {
    const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({
      variable: 'caudal', ts: new Date(BASE + (first + m * PER_MESSAGE + k) * 60_000).toISOString(), value: 1 + (k % 5),
    }));
    await device.publishAsync(`${prefix}/points/${pointId}/readings`, JSON.stringify({ readings }), { qos: 1 });
  }
};
const ingest = async (subscription: MqttSubscriptionMode) => {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
  const i = new MqttIngest({ url: MQTT_URL, topicPrefix: prefix, clientId, subscription, push: t.c.push, recordDeadLetters: (d) => t.c.processor.recordDeadLetters(d), logger });
  await i.start();
  return i;
};
const removed = () => logs.filter((l) => l.includes('removed the drained session')).length;
/** Whether the broker still holds a session under this client id (the probe leaves none behind). */
const hasSession = async (id: string) => {
  const probe = connect(MQTT_URL, { clientId: id, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 0 }, reconnectPeriod: 0 });
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    probe.once('connect', resolve);
    probe.once('error', reject);
  });
  await probe.endAsync();
  return connack.sessionPresent;
};

beforeAll(async () => {
  t = await createTestContext();
  pointId = (await seedTenant(t, 'mqtt-modes', 1)).points[0]!;
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'mqtt-modes', variables_config: templateConfig('twin') } });
  await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${pointId}/schema`, payload: { template_id: tpl.body.id } });
  processor = await startProcessor(t.c);
  device = await connectAsync(MQTT_URL, { clientId: `${prefix}-device`, clean: true });
});

afterAll(async () => {
  await device?.endAsync();
  await processor?.stop();
  for (const id of [clientId, ...sessionClientIds(clientId, 'shared')]) await (await connectAsync(MQTT_URL, { clientId: id, clean: true }).catch(() => null))?.endAsync();
  await t?.close();
});

describe('switching the MQTT subscription mode', () => {
  it('shared → exclusive → shared: readings queued for the mode left behind are stored once, and its sessions removed', async () => {
    const shared = await ingest('shared');
    await shared.stop();
    await publishBatch(); // queued in the shared sessions, no one connected

    const exclusive = await ingest('exclusive');
    await waitFor('both shared sessions drained and removed', () => removed() === 2);
    await publishBatch();
    await waitFor('two batches stored', async () => (await count()) >= 2 * MESSAGES * PER_MESSAGE);
    await exclusive.stop();
    await publishBatch(); // queued in the exclusive session

    const back = await ingest('shared');
    await waitFor('the exclusive session drained and removed', () => removed() === 3);
    await publishBatch();
    await waitFor('four batches stored', async () => (await count()) >= 4 * MESSAGES * PER_MESSAGE);
    await new Promise((r) => setTimeout(r, 1000)); // a reading handled twice would show up now
    await back.stop();

    const expected = 4 * MESSAGES * PER_MESSAGE;
    const distinct = await t.c.db.query<{ n: number }>('SELECT count(DISTINCT ts)::int AS n FROM measurements WHERE point_id = $1', [pointId]);
    expect({ stored: await count(), distinct: distinct.rows[0]!.n }).toEqual({ stored: expected, distinct: expected });
    expect(await hasSession(clientId)).toBe(false);
    for (const id of sessionClientIds(clientId, 'shared')) expect(await hasSession(id), id).toBe(true);
  }, 90_000);
});
