import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAsync, type MqttClient } from 'mqtt';
import { templateConfig } from '../../../src/demo/seed.js';
import { FaultWorld, PrivateServer, report, sleep, waitFor } from './harness.js';

/**
 * Mosquitto restarted during MQTT ingest, on a private broker with persistence (the shared one stays up): devices
 * keep publishing (QoS 1, queued while the broker is away), the ingest (MQTT_SUBSCRIPTION default, exclusive)
 * reconnects by itself to its persistent session, whose subscription the broker restored and queued readings for
 * from the moment it was back, and every reading published is stored exactly once.
 */
const PORT = Number(process.env.FAULTS_MQTT_PORT ?? 18831);
const POINTS = 30;
const PER_POINT = 240;
const PER_MESSAGE = 8;
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'smarthydro-faults-mosquitto-'));
// mosquitto drops root privileges to its own user, which must be able to write the persistence file.
chmodSync(dir, 0o777);
writeFileSync(join(dir, 'mosquitto.conf'), [
  `listener ${PORT} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 100000', '',
].join('\n'));
const mosquitto = new PrivateServer('mosquitto', ['-c', join(dir, 'mosquitto.conf')], PORT);
const MQTT_URL = `mqtt://127.0.0.1:${PORT}`;
let world: FaultWorld | undefined;
let device: MqttClient | undefined;

beforeAll(async () => {
  await mosquitto.start();
});

afterAll(async () => {
  await device?.endAsync(true).catch(() => undefined);
  await world?.close();
  await mosquitto.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Mosquitto restarted during MQTT ingest', () => {
  it('the ingest reconnects by itself; every reading published is stored once', async () => {
    const w = (world = await FaultWorld.create({ simulatorUrl: 'http://127.0.0.1:1', frozen: new Date(), hours: 0, perProvider: 0, env: { MQTT_URL } }));
    const prefix = w.namespace;
    const t = await w.client.query('INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id', ['push', JSON.stringify(templateConfig('twin'))]);
    const pointIds: number[] = [];
    for (let i = 0; i < POINTS; i++) {
      const p = await w.client.query(
        `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency) VALUES (1, $1, true, 'push', 5) RETURNING id`,
        [`mqtt well ${i}`],
      );
      await w.client.query('INSERT INTO dynamic_schemas (point_id, template_id) VALUES ($1, $2)', [p.rows[0].id, t.rows[0].id]);
      pointIds.push(Number(p.rows[0].id));
    }
    w.start('processor,scheduler');
    const ingest = w.start('mqtt', { MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: `${prefix}-ingest`, LOG_LEVEL: 'info' });
    await waitFor('the ingest subscribed', async () => ingest.tail().includes('MQTT ingest subscribed'), 60_000);
    // The device reconnects within 250 ms, the ingest after 1 s: the device publishes before the ingest is connected
    // again, which only a subscription the broker restored catches (with MQTT_SUBSCRIPTION=shared this run stored
    // 7,144 of 7,200: Mosquitto 2.0 does not restore shared subscriptions).
    device = await connectAsync(MQTT_URL, { clientId: `${prefix}-device`, clean: false, reconnectPeriod: 250 });

    const messages: { topic: string; payload: string }[] = [];
    for (let m = 0; m < PER_POINT / PER_MESSAGE; m++) {
      for (const id of pointIds) {
        const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({
          variable: 'caudal', ts: new Date(BASE + (m * PER_MESSAGE + k) * 60_000).toISOString(), value: 5 + ((id + m + k) % 7),
        }));
        messages.push({ topic: `${prefix}/points/${id}/readings`, payload: JSON.stringify({ readings }) });
      }
    }
    const published = POINTS * PER_POINT;
    const publish = (from: number, to: number) => Promise.all(messages.slice(from, to).map((msg) => device!.publishAsync(msg.topic, msg.payload, { qos: 1 })));
    const third = Math.floor(messages.length / 3);
    await publish(0, third);
    await waitFor('some readings stored', async () => (await w.stored()) > 0, 60_000);
    // Restart the broker while the second third is being published (queued by the device client meanwhile).
    const second = publish(third, 2 * third);
    await mosquitto.stop();
    const down = Date.now();
    await sleep(5000);
    await mosquitto.start();
    const back = Date.now();
    await second;
    await publish(2 * third, messages.length);
    const storedAtRestart = await w.stored();
    await waitFor('rows again', async () => (await w.stored()) > storedAtRestart || (await w.stored()) >= published, 60_000, 250).catch((err: Error) => {
      throw new Error(`${err.message} (stored ${storedAtRestart})\n${w.tails()}`);
    });
    const recoverySeconds = (Date.now() - back) / 1000;
    let finalStored = 0;
    await waitFor(`all ${published} stored`, async () => {
      const crashed = w.crashed();
      if (crashed.length) throw new Error(crashed.join('\n---\n'));
      return (finalStored = await w.stored()) >= published;
    }, 60_000, 500).catch((err: Error) => {
      throw new Error(`${err.message} (stored ${storedAtRestart} at the restart, ${finalStored} at the end)\n${w.tails()}`);
    });
    await sleep(3000);
    const stored = await w.stored();
    const duplicates = stored - (await w.distinctStored());
    const deadLetters = await w.deadLetters();
    report({ fault: 'Mosquitto restarted', served: published, stored, duplicates, deadLetters, recoverySeconds, brokerDownSeconds: (back - down) / 1000 });
    expect(FaultWorld.running(ingest), ingest.tail()).toBe(true);
    expect({ stored, duplicates, deadLetters }).toEqual({ stored: published, duplicates: 0, deadLetters: 0 });
  }, 300_000);

  it('an ingest started before its broker waits for it and starts by itself', async () => {
    await world?.close();
    const w = (world = await FaultWorld.create({ simulatorUrl: 'http://127.0.0.1:1', frozen: new Date(), hours: 0, perProvider: 0, env: { MQTT_URL } }));
    const prefix = w.namespace;
    const t = await w.client.query('INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id', ['push', JSON.stringify(templateConfig('twin'))]);
    const p = await w.client.query(`INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency) VALUES (1, 'late broker', true, 'push', 5) RETURNING id`);
    await w.client.query('INSERT INTO dynamic_schemas (point_id, template_id) VALUES ($1, $2)', [p.rows[0].id, t.rows[0].id]);
    await mosquitto.stop();
    w.start('processor,scheduler');
    const ingest = w.start('mqtt', { MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: `${prefix}-late`, LOG_LEVEL: 'info' });
    await waitFor('the ingest says it waits for the broker', async () => ingest.tail().includes('MQTT broker is not reachable yet'), 60_000);
    await sleep(2000);
    expect(FaultWorld.running(ingest), ingest.tail()).toBe(true);
    await mosquitto.start();
    await waitFor('the ingest subscribed', async () => ingest.tail().includes('MQTT ingest subscribed'), 60_000);
    const late = await connectAsync(MQTT_URL, { clientId: `${prefix}-late-device` });
    const readings = Array.from({ length: 10 }, (_, k) => ({ variable: 'caudal', ts: new Date(BASE + k * 60_000).toISOString(), value: 5 + k }));
    await late.publishAsync(`${prefix}/points/${p.rows[0].id}/readings`, JSON.stringify({ readings }), { qos: 1 });
    await late.endAsync();
    await waitFor('the 10 readings stored', async () => (await w.stored()) >= 10, 60_000, 250);
    expect({ stored: await w.stored(), deadLetters: await w.deadLetters() }).toEqual({ stored: 10, deadLetters: 0 });
  }, 180_000);
});
