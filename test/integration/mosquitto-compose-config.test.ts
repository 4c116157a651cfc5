import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQTT_SUBSCRIPTION_MODES } from '../../src/config.js';
import { readingsSubscription } from '../../src/telemetry/ingest/mqtt.ingest.js';

/**
 * The Mosquitto configuration of compose.yaml (deploy/compose/mosquitto.conf and its ACLs) run by the local
 * mosquitto binary on free ports, with the password file written as the compose service writes it: the platform's
 * user reads every point's readings through its subscription (either mode), a device writes its own point only, anonymous
 * clients are refused, and the health-check listener reads $SYS and nothing else.
 */
const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
let broker: ChildProcess;
let main = 0;
let health = 0;
const clients: MqttClient[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function connect(port: number, opts: { username?: string; password?: string } = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-mosquitto-'));
  for (const sub of ['auth', 'data', 'config']) mkdirSync(join(dir, sub));
  [main, health] = [await freePort(), await freePort()];
  const conf = readFileSync(join(ROOT, 'deploy/compose/mosquitto.conf'), 'utf8')
    .replace(/^persistence_location \/mosquitto\/data\/$/m, `persistence_location ${dir}/data/`)
    .replace(/^password_file \/mosquitto\/auth\/passwd$/m, `password_file ${dir}/auth/passwd`)
    .replace(/^acl_file \/mosquitto\/config\/acl-health$/m, `acl_file ${dir}/config/acl-health`)
    .replace(/^acl_file \/mosquitto\/config\/acl$/m, `acl_file ${dir}/config/acl`)
    .replace(/^listener 1883$/m, `listener ${main} 127.0.0.1`)
    .replace(/^listener 1884 127\.0\.0\.1$/m, `listener ${health} 127.0.0.1`);
  expect(conf).toContain(`listener ${main} 127.0.0.1`);
  expect(conf).toContain(`listener ${health} 127.0.0.1`);
  expect(conf.split('\n').filter((l) => !l.startsWith('#') && l.includes('/mosquitto/'))).toEqual([]);
  writeFileSync(join(dir, 'mosquitto.conf'), conf);
  copyFileSync(join(ROOT, 'deploy/compose/mosquitto.acl'), join(dir, 'config/acl'));
  copyFileSync(join(ROOT, 'deploy/compose/mosquitto-health.acl'), join(dir, 'config/acl-health'));
  // As the compose service mosquitto-passwd does, plus one device user named after its point.
  const passwd = join(dir, 'auth/passwd');
  writeFileSync(passwd, '');
  execFileSync('mosquitto_passwd', ['-b', passwd, 'smarthydro-ingest', 'ingest-password']);
  execFileSync('mosquitto_passwd', ['-b', passwd, '7', 'device-password']);
  // Started as root, mosquitto drops to its own user, which must read the files (compose chowns them too).
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'mosquitto:mosquitto', dir]);
  broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  broker.stdout?.on('data', (d) => (log += d));
  broker.stderr?.on('data', (d) => (log += d));
  for (let i = 0; i < 50; i++) {
    try {
      (await connect(health)).end(true);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`mosquitto did not start with the compose configuration (exit ${broker.exitCode}): ${log}`);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  if (broker && broker.exitCode === null) {
    const exited = new Promise((r) => broker.once('exit', r));
    broker.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const received = (c: MqttClient, into: string[]) => c.on('message', (topic, payload) => into.push(`${topic} ${payload.toString()}`));
const settle = () => new Promise((r) => setTimeout(r, 500));

describe('the Mosquitto configuration of compose.yaml', () => {
  it('refuses anonymous clients and wrong passwords on the main listener', async () => {
    await expect(connect(main)).rejects.toThrow(/Not authorized|Bad User Name or Password|Connection refused/i);
    await expect(connect(main, { username: 'smarthydro-ingest', password: 'wrong' })).rejects.toThrow();
  });

  it.each(MQTT_SUBSCRIPTION_MODES)("lets the platform's user read, through its %s subscription, what a device writes to its own point only", async (mode) => {
    const ingest = await connect(main, { username: 'smarthydro-ingest', password: 'ingest-password' });
    const got: string[] = [];
    received(ingest, got);
    const granted = await ingest.subscribeAsync(readingsSubscription('smarthydro', mode), { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    const device = await connect(main, { username: '7', password: 'device-password' });
    await device.publishAsync('smarthydro/points/8/readings', `not my point (${mode})`, { qos: 1 }).catch(() => undefined);
    await device.publishAsync('smarthydro/points/7/readings', `my point (${mode})`, { qos: 1 });
    for (let i = 0; i < 40 && got.length === 0; i++) await settle();
    await settle();
    expect(got).toEqual([`smarthydro/points/7/readings my point (${mode})`]);
    ingest.end(true);
  });

  it('the health-check listener answers anonymous $SYS reads and nothing else', async () => {
    const probe = await connect(health);
    const got: string[] = [];
    received(probe, got);
    await probe.subscribeAsync(['$SYS/broker/uptime', 'smarthydro/points/+/readings'], { qos: 0 });
    const device = await connect(main, { username: '7', password: 'device-password' });
    await device.publishAsync('smarthydro/points/7/readings', 'seen by the ingest only', { qos: 1 });
    for (let i = 0; i < 40 && !got.some((g) => g.startsWith('$SYS/broker/uptime')); i++) await settle();
    await settle();
    expect(got.some((g) => g.startsWith('$SYS/broker/uptime '))).toBe(true);
    expect(got.filter((g) => g.startsWith('smarthydro/'))).toEqual([]);
  });
});
