import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulators } from '../../../src/demo/simulators.js';
import { FaultWorld, PrivateKafka, report, sleep, waitFor } from './harness.js';

/**
 * Kafka stopped for 60 s mid-stream, on a private broker (the shared one stays up for everyone else): collectors
 * cannot publish, processors lose their group; nobody exits, /health names the bus while it is down, and once the
 * broker is back everything served is stored once.
 */
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
const kafka = new PrivateKafka();
let sims: RunningSimulators;
let world: FaultWorld | undefined;

beforeAll(async () => {
  sims = await startSimulators({ clock: () => FROZEN });
  await kafka.start();
}, 180_000);

afterAll(async () => {
  await world?.close();
  await sims?.close();
  await kafka.stop();
}, 120_000);

describe('Kafka broker stopped 60 s mid-stream', () => {
  it('every role survives and resumes by itself; nothing lost or doubled', async () => {
    const w = (world = await FaultWorld.create({ simulatorUrl: sims.url, frozen: FROZEN, hours: 12, perProvider: 3, kafka: kafka.brokers }));
    const api = w.start('api');
    const processor = w.start('processor,scheduler');
    const collector = w.start('collector');
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 120_000, 100);
    const stopSeconds = await kafka.stop();
    const down = Date.now();
    let busDown = false;
    while (Date.now() - down < 60_000) {
      const h = await w.health(api);
      busDown ||= h.status === 503 && h.body?.checks.bus?.status === 'down';
      await sleep(2000);
    }
    const storedWhileDown = await w.stored();
    await kafka.start();
    const back = Date.now();
    await waitFor('rows again', async () => (await w.stored()) > storedWhileDown || (await w.stored()) >= w.served, 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    const recoverySeconds = (Date.now() - back) / 1000;
    await waitFor(`all ${w.served} stored`, async () => {
      const crashed = w.crashed();
      if (crashed.length) throw new Error(crashed.join('\n---\n'));
      return (await w.stored()) >= w.served;
    }, 180_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}\n${w.tails()}`);
    });
    await sleep(2000);
    let healthAfter = 0;
    await waitFor('/health 200 after', async () => (healthAfter = (await w.health(api)).status) === 200, 60_000, 1000).catch(() => undefined);
    const stored = await w.stored();
    const duplicates = stored - (await w.distinctStored());
    const deadLetters = await w.deadLetters();
    const published = await w.publishedReadings();
    report({ fault: 'Kafka stopped 60 s', served: w.served, stored, duplicates, deadLetters, recoverySeconds, published, brokerStopSeconds: stopSeconds });
    expect(busDown).toBe(true);
    for (const r of [api, processor, collector]) expect(FaultWorld.running(r), `${r.roles}\n${r.tail()}`).toBe(true);
    expect({ stored, duplicates, deadLetters }).toEqual({ stored: w.served, duplicates: 0, deadLetters: 0 });
    expect(healthAfter).toBe(200);
  }, 420_000);
});
