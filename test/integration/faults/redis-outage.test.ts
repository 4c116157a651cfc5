import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type RunningSimulators } from '../../../src/demo/simulators.js';
import { FaultWorld, PrivateServer, report, sleep, waitFor } from './harness.js';

/**
 * Redis flushed and stopped for 30 s mid-stream, on a private redis-server (the shared one stays up): the cache is
 * gone and unreachable; nobody exits, /health names the cache while it is down, and everything served is stored
 * once after it is back.
 */
const PORT = Number(process.env.FAULTS_REDIS_PORT ?? 6391);
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
const redis = new PrivateServer('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], PORT);
let sims: RunningSimulators;
let world: FaultWorld | undefined;

beforeAll(async () => {
  sims = await startSimulators({ clock: () => FROZEN });
  await redis.start();
});

afterAll(async () => {
  await world?.close();
  await sims?.close();
  await redis.stop();
});

describe('Redis flushed and stopped 30 s mid-stream', () => {
  it('every role survives and resumes by itself; nothing lost or doubled', async () => {
    const w = (world = await FaultWorld.create({
      simulatorUrl: sims.url, frozen: FROZEN, hours: 12, perProvider: 3, env: { REDIS_URL: `redis://127.0.0.1:${PORT}` },
    }));
    const api = w.start('api');
    const processor = w.start('processor,scheduler');
    const collector = w.start('collector');
    await waitFor('a fifth stored', async () => (await w.stored()) > w.served * 0.2, 120_000, 100);
    const flush = await fetchRedis(PORT, 'FLUSHALL');
    await redis.stop();
    const down = Date.now();
    let cacheDown = false;
    while (Date.now() - down < 30_000) {
      const h = await w.health(api);
      cacheDown ||= h.status === 503 && h.body?.checks.cache?.status === 'down';
      await sleep(1000);
    }
    const storedWhileDown = await w.stored();
    await redis.start();
    const back = Date.now();
    await waitFor('rows again', async () => (await w.stored()) > storedWhileDown || (await w.stored()) >= w.served, 90_000, 250).catch((err: Error) => {
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
    await waitFor('/health 200 after', async () => (healthAfter = (await w.health(api)).status) === 200, 30_000, 1000).catch(() => undefined);
    const stored = await w.stored();
    const duplicates = stored - (await w.distinctStored());
    const deadLetters = await w.deadLetters();
    report({ fault: 'Redis flushed and stopped 30 s', served: w.served, stored, duplicates, deadLetters, recoverySeconds, storedWhileDown, flush });
    expect(cacheDown).toBe(true);
    for (const r of [api, processor, collector]) expect(FaultWorld.running(r), `${r.roles}\n${r.tail()}`).toBe(true);
    expect({ stored, duplicates, deadLetters }).toEqual({ stored: w.served, duplicates: 0, deadLetters: 0 });
    expect(healthAfter).toBe(200);
  }, 300_000);
});

/** One inline Redis command over a raw socket; its reply line. */
async function fetchRedis(port: number, command: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`${command}\r\n`));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().trim());
    });
    socket.once('error', reject);
  });
}
