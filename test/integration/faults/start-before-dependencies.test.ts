import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulators } from '../../../src/demo/simulators.js';
import { runCli, waitForExit } from '../support.js';
import { FaultWorld, PrivateKafka, report, sleep, waitFor } from './harness.js';

/**
 * Roles started while their database does not take connections, or before their Kafka broker exists (a fresh `docker compose up`, a pod scheduled
 * before PostgreSQL's): they wait, saying so, and start by themselves when it does; a command run meanwhile
 * exits at once with a message naming the fix instead of a stack trace.
 */
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
let sims: RunningSimulators;
let world: FaultWorld | undefined;
const kafka = new PrivateKafka(19192);

beforeAll(async () => {
  sims = await startSimulators({ clock: () => FROZEN });
});
afterAll(async () => {
  await world?.close();
  await sims?.close();
  await kafka.stop();
});

/** Everything the simulators served is stored once, without dead letters. */
async function allStoredOnce(w: FaultWorld, fault: string, recoverySeconds: number) {
  await waitFor(`all ${w.served} readings stored`, async () => (await w.stored()) >= w.served, 120_000, 250);
  const stored = await w.stored();
  const figures = { served: w.served, stored, duplicates: stored - (await w.distinctStored()), deadLetters: await w.deadLetters() };
  report({ fault, ...figures, recoverySeconds });
  expect(figures).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
}

describe('roles started before their dependencies', () => {
  it('roles started before PostgreSQL takes connections wait for it, then start by themselves; a command says what to fix', { timeout: 240_000 }, async () => {
    const w = (world = await FaultWorld.create({ simulatorUrl: sims.url, frozen: FROZEN, hours: 2, perProvider: 1 }));
    const cut = await w.cutDatabase();
    const api = w.start('api');
    const workers = w.start('processor,scheduler,collector');
    await waitFor('both say they wait for PostgreSQL', async () => [api, workers].every((r) => r.tail().includes('PostgreSQL is not reachable yet')), 30_000);
    await sleep(3_000);
    for (const r of [api, workers]) expect(FaultWorld.running(r), `${r.roles} exited while waiting\n${r.tail()}`).toBe(true);

    const command = await waitForExit(runCli(['migrate'], w.env));
    expect(command.code).toBe(69);
    expect(command.stderr).toContain('cannot use PostgreSQL at 127.0.0.1:5432/');
    expect(command.stderr).toContain('start PostgreSQL or fix DATABASE_URL');
    expect(command.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const waited = Date.now();
    await cut.restore();
    const url = await Promise.race([api.url, sleep(60_000).then(() => null)]);
    expect(url, `the api did not start after PostgreSQL came back\n${w.tails()}`).not.toBeNull();
    const startSeconds = (Date.now() - waited) / 1000;
    await allStoredOnce(w, 'roles started before PostgreSQL', startSeconds);
    await waitFor('/health 200', async () => (await w.health(api)).status === 200, 60_000, 500);
    for (const r of [api, workers]) expect(FaultWorld.running(r), `${r.roles} still running\n${r.tail()}`).toBe(true);
    await w.close();
    world = undefined;
  });

  it('roles started before their Kafka broker wait for it, then start by themselves and store everything served', { timeout: 300_000 }, async () => {
    const w = (world = await FaultWorld.create({ simulatorUrl: sims.url, frozen: FROZEN, hours: 2, perProvider: 1, kafka: kafka.brokers }));
    const api = w.start('api');
    const workers = w.start('processor,scheduler,collector');
    await waitFor('both say they wait for Kafka', async () => [api, workers].every((r) => r.tail().includes('Kafka is not reachable yet')), 60_000);
    for (const r of [api, workers]) expect(FaultWorld.running(r), `${r.roles} exited while waiting\n${r.tail()}`).toBe(true);
    await kafka.start();
    const up = Date.now();
    const url = await Promise.race([api.url, sleep(90_000).then(() => null)]);
    expect(url, `the api did not start after Kafka came up\n${w.tails()}`).not.toBeNull();
    await allStoredOnce(w, 'roles started before Kafka', (Date.now() - up) / 1000);
    await waitFor('/health 200', async () => (await w.health(api)).status === 200, 60_000, 500);
    for (const r of [api, workers]) expect(FaultWorld.running(r), `${r.roles} still running\n${r.tail()}`).toBe(true);
  });
});
