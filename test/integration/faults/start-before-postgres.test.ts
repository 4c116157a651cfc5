import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulators } from '../../../src/demo/simulators.js';
import { runCli, waitForExit } from '../support.js';
import { FaultWorld, report, sleep, waitFor } from './harness.js';

/**
 * Roles started while their database does not take connections (a fresh `docker compose up`, a pod scheduled
 * before PostgreSQL's): they wait, saying so, and start by themselves when it does; a command run meanwhile
 * exits at once with a message naming the fix instead of a stack trace.
 */
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
let sims: RunningSimulators;
let world: FaultWorld | undefined;

beforeAll(async () => {
  sims = await startSimulators({ clock: () => FROZEN });
});
afterAll(async () => {
  await world?.close();
  await sims?.close();
});

describe('roles started before PostgreSQL takes connections', () => {
  it('wait for it, then start by themselves and store everything served; a command says what to fix', { timeout: 240_000 }, async () => {
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
    await waitFor(`all ${w.served} readings stored`, async () => (await w.stored()) >= w.served, 120_000, 250);
    await waitFor('/health 200', async () => (await w.health(api)).status === 200, 60_000, 500);
    const stored = await w.stored();
    const figures = { served: w.served, stored, duplicates: stored - (await w.distinctStored()), deadLetters: await w.deadLetters() };
    report({ fault: 'roles started before PostgreSQL', ...figures, recoverySeconds: startSeconds });
    expect(figures).toEqual({ served: w.served, stored: w.served, duplicates: 0, deadLetters: 0 });
    for (const r of [api, workers]) expect(FaultWorld.running(r), `${r.roles} still running\n${r.tail()}`).toBe(true);
  });
});
