import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulators } from '../../../src/demo/simulators.js';
import { COLLECTION_WINDOW_MS } from '../../../src/telemetry/collection/collection.service.js';
import { FaultWorld, report, sleep, waitFor, type Role } from './harness.js';

/**
 * Faults injected mid-stream into the roles running as separate processes on PostgreSQL, Redis and Kafka.
 * Each scenario has its own database and bus namespace; afterwards the stored measurements are compared with
 * what the simulators served: none lost, none twice, no dead letter, and /health said which part was down.
 * Each prints a one-line summary (FAULT {...}).
 */
const HOURS = 12;
const PER_PROVIDER = 3;
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
/** Readings of one point in one collection window (3 variables a minute). */
const readingsPerWindow = (COLLECTION_WINDOW_MS / 60_000) * 3;

let sims: RunningSimulators;
let world: FaultWorld | undefined;

beforeAll(async () => {
  sims = await startSimulators({ clock: () => FROZEN });
});
afterEach(async () => {
  await world?.close();
  world = undefined;
});
afterAll(async () => {
  await sims?.close();
});

async function newWorld(env: Record<string, string> = {}) {
  world = await FaultWorld.create({ simulatorUrl: sims.url, frozen: FROZEN, hours: HOURS, perProvider: PER_PROVIDER, env });
  return world;
}

/** Waits until everything served is stored, then a little longer for anything re-delivered late. */
async function settle(w: FaultWorld, timeoutMs = 120_000) {
  await waitFor(`all ${w.served} readings stored`, async () => {
    const crashed = w.crashed();
    if (crashed.length) throw new Error(crashed.join('\n---\n'));
    return (await w.stored()) >= w.served;
  }, timeoutMs, 500);
  await sleep(2000);
}

async function healthUntil(w: FaultWorld, api: Role, want: (r: Awaited<ReturnType<FaultWorld['health']>>) => boolean, what: string, timeoutMs: number) {
  let last: unknown;
  await waitFor(what, async () => {
    const h = await w.health(api);
    last = h;
    return want(h);
  }, timeoutMs, 500).catch((err: Error) => {
    throw new Error(`${err.message}; last /health: ${JSON.stringify(last)}`);
  });
}

const downPart = (h: Awaited<ReturnType<FaultWorld['health']>>, part: string) => h.status === 503 && h.body?.checks[part]?.status === 'down';

async function counts(w: FaultWorld) {
  const stored = await w.stored();
  return { served: w.served, stored, duplicates: stored - (await w.distinctStored()), deadLetters: await w.deadLetters() };
}

describe('faults mid-stream, roles in separate processes', () => {
  it('processor SIGKILL: /health names the processor, a new one resumes from the committed offsets', async () => {
    const w = await newWorld();
    const api = w.start('api');
    let processor = w.start('processor,scheduler');
    w.start('collector');
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 90_000, 100);
    await w.kill(processor);
    const killedAt = Date.now();
    // Readings keep arriving while no processor runs (the one killed may have finished the collected backlog
    // in its last batch): pushed over HTTP, so a lag exists whatever the timing.
    await w.push(api, 1, 240, new Date(FROZEN.getTime() - HOURS * 3600_000));
    // The dead member counts until its session times out; then nobody consumes a growing lag.
    await healthUntil(w, api, (h) => downPart(h, 'processor'), '/health 503 naming the processor', 40_000);
    const downAfter = (Date.now() - killedAt) / 1000;
    const before = await w.stored();
    processor = w.start('processor,scheduler');
    const restarted = Date.now();
    await waitFor('rows again', async () => (await w.stored()) > before, 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    const recoverySeconds = (Date.now() - restarted) / 1000;
    await settle(w);
    await healthUntil(w, api, (h) => h.status === 200, '/health 200 after', 30_000);
    const c = await counts(w);
    report({ fault: 'processor SIGKILL', ...c, recoverySeconds, healthDownAfterSeconds: downAfter });
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
    expect(recoverySeconds).toBeLessThan(15);
  }, 300_000);

  it('processor SIGTERM mid-stream: exits 0 within 10 s having committed what it stored; a new one finishes', async () => {
    const w = await newWorld();
    const api = w.start('api');
    let processor = w.start('processor,scheduler');
    w.start('collector');
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 90_000, 100);
    const stop = await w.kill(processor, 'SIGTERM');
    // The stopped processor may have stored the whole collected backlog in its last batch: readings pushed now
    // give the new one work whatever the timing (without them, "rows again" could never happen).
    await w.push(api, 1, 240, new Date(FROZEN.getTime() - HOURS * 3600_000));
    const before = await w.stored();
    processor = w.start('processor,scheduler');
    const restarted = Date.now();
    await waitFor('rows again', async () => (await w.stored()) > before, 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    const recoverySeconds = (Date.now() - restarted) / 1000;
    await settle(w);
    const c = await counts(w);
    report({ fault: 'processor SIGTERM', ...c, recoverySeconds, exitCode: stop.code ?? -1, stopSeconds: stop.ms / 1000 });
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
  }, 300_000);

  it('PostgreSQL gone 30 s (connections ended, new ones refused): every role survives and resumes; /health names the database', async () => {
    const w = await newWorld();
    const api = w.start('api');
    const processor = w.start('processor,scheduler');
    const collector = w.start('collector');
    await api.url; // the api up before the cut (it creates the first admin at start: a slow password hash)
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 90_000, 100);
    const cut = await w.cutDatabase();
    const outageStarted = Date.now();
    let downSeen = false;
    while (Date.now() - outageStarted < 30_000) {
      await cut.again();
      if (!downSeen) downSeen = downPart(await w.health(api), 'database');
      await sleep(500);
    }
    await cut.restore();
    const back = Date.now();
    const before = await w.stored();
    await waitFor('rows again', async () => (await w.stored()) > before || (await w.stored()) >= w.served, 60_000, 100);
    const recoverySeconds = (Date.now() - back) / 1000;
    await settle(w);
    await healthUntil(w, api, (h) => h.status === 200, '/health 200 after', 30_000);
    const c = await counts(w);
    report({ fault: 'PostgreSQL gone 30 s', ...c, recoverySeconds, connectionsEnded: cut.ended });
    expect(downSeen).toBe(true);
    for (const r of [api, processor, collector]) expect(FaultWorld.running(r), `${r.roles} still running\n${r.tail()}`).toBe(true);
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
  }, 300_000);

  it('collector SIGKILL: a new collector resumes from the cursors without collecting everything again', async () => {
    const w = await newWorld();
    const api = w.start('api');
    w.start('processor,scheduler');
    let collector = w.start('collector');
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 90_000, 100);
    await w.kill(collector);
    collector = w.start('collector');
    const restarted = Date.now();
    const before = await w.stored();
    // The killed collector may have published every window already (the processor then stores them all): nothing
    // is left for the new one to add, and the counts below say whether anything was lost or doubled.
    await waitFor('rows again', async () => (await w.stored()) > before || (await w.stored()) >= w.served, 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    const recoverySeconds = (Date.now() - restarted) / 1000;
    await settle(w);
    await healthUntil(w, api, (h) => h.status === 200, '/health 200 after', 30_000);
    const c = await counts(w);
    const published = await w.publishedReadings();
    report({ fault: 'collector SIGKILL', ...c, recoverySeconds, published });
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
    // A cursor moves once the bus took its window: what the killed collector had published without moving the
    // cursor yet (at most one window per point, all points being collected at once) is published again — never
    // the whole backlog (a second catch-up beside the first would publish everything twice).
    expect(published).toBeLessThanOrEqual(c.stored + w.points * readingsPerWindow);
  }, 300_000);

  it('two processors and two collectors at once, one of each SIGKILLed mid-stream: each reading published about once, stored once', async () => {
    const w = await newWorld();
    const api = w.start('api');
    const processors = [w.start('processor,scheduler'), w.start('processor')];
    const collectors = [w.start('collector'), w.start('collector')];
    await waitFor('a third stored', async () => (await w.stored()) > w.served * 0.33, 90_000, 100);
    await Promise.all([w.kill(processors[0]!), w.kill(collectors[0]!)]);
    const killedAt = Date.now();
    const before = await w.stored();
    await waitFor('rows again', async () => (await w.stored()) > before || (await w.stored()) >= w.served, 60_000, 100);
    const recoverySeconds = (Date.now() - killedAt) / 1000;
    await settle(w);
    await healthUntil(w, api, (h) => h.status === 200, '/health 200 after', 30_000);
    const c = await counts(w);
    const published = await w.publishedReadings();
    const deadlocks = (w.tails().match(/deadlock detected/g) ?? []).length;
    report({ fault: 'two processors + two collectors, one of each SIGKILLed', ...c, recoverySeconds, published, deadlocks });
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
    expect(published).toBeLessThanOrEqual(c.stored * 1.05);
    for (const r of [processors[1]!, collectors[1]!]) expect(FaultWorld.running(r)).toBe(true);
  }, 300_000);

  it('two apis, one SIGKILLed mid-push: a client retrying on the other loses nothing; every acknowledged reading stored once', async () => {
    const w = await newWorld();
    const apis = [w.start('api'), w.start('api')];
    w.start('processor,scheduler');
    w.start('collector');
    await Promise.all(apis.map((a) => a.url));
    const collected = w.served;
    const windowStart = FROZEN.getTime() - HOURS * 3600_000;
    const BATCHES = 48;
    const PER_BATCH = 120;
    let next = 0;
    let failedOver = 0;
    let killed: Promise<unknown> | undefined;
    // Four clients push at once, alternating between the apis as a load balancer would; a request that fails
    // (the api died under it) is sent again to the other one, as a device retries.
    const client = async () => {
      for (let b = next++; b < BATCHES; b = next++) {
        if (b === BATCHES / 3) killed = w.kill(apis[0]!);
        const before = new Date(windowStart - b * PER_BATCH * 60_000);
        const point = 1 + (b % 9);
        await w.push(apis[b % 2]!, point, PER_BATCH, before).catch(async () => {
          failedOver++;
          await w.push(apis[1]!, point, PER_BATCH, before);
        });
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await killed;
    await settle(w);
    await healthUntil(w, apis[1]!, (h) => h.status === 200, '/health 200 on the api left', 30_000);
    const c = await counts(w);
    report({ fault: 'api SIGKILL mid-push (two apis)', ...c, recoverySeconds: 0, failedOver, pushed: BATCHES * PER_BATCH });
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
    // Every batch was acknowledged once, by one api or the other.
    expect(w.served).toBe(collected + BATCHES * PER_BATCH);
    expect(FaultWorld.running(apis[1]!)).toBe(true);
  }, 300_000);

  it('SIGTERM mid-stream: every role exits 0 within 10 s, and nothing is lost or doubled after a restart', async () => {
    const w = await newWorld({ MQTT_URL: process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883' });
    const roles = [w.start('api'), w.start('processor,scheduler'), w.start('collector'), w.start('reporter'), w.start('mqtt', { MQTT_TOPIC_PREFIX: w.namespace, MQTT_CLIENT_ID: w.namespace })];
    await roles[0]!.url;
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 90_000, 100);
    const stops = await Promise.all(roles.map((r) => w.kill(r, 'SIGTERM')));
    const figures = Object.fromEntries(roles.map((r, i) => [`${r.roles}StopSeconds`, stops[i]!.ms / 1000]));
    w.start('processor,scheduler');
    w.start('collector');
    await settle(w);
    const c = await counts(w);
    report({ fault: 'SIGTERM every role', ...c, recoverySeconds: 0, ...figures });
    for (const [i, r] of roles.entries()) {
      expect(stops[i]!.code, `${r.roles}\n${r.tail()}`).toBe(0);
      expect(stops[i]!.ms, r.roles).toBeLessThan(10_000);
    }
    expect(c).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
  }, 300_000);
});
