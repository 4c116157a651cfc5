import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { simulatedValue } from '../../src/providers/simulator/index.js';
import { startSimulators, type RunningSimulators } from '../../src/demo/simulators.js';
import { templateConfig } from '../../src/demo/seed.js';
import { SecretBox } from '../../src/infra/secrets.js';
import { freshDatabase, REDIS_URL, runCli, SECRET_KEY, uniquePrefix, waitForExit } from './support.js';

/**
 * Collector and processor as separate processes on Kafka, PostgreSQL and Redis. Both are killed
 * (SIGKILL) mid-stream and restarted; afterwards the stored measurements are exactly what the
 * simulator served: none lost, none twice.
 */
const KAFKA = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const HOURS = 48;
// The simulator's clock is frozen, so "what it served" is a fixed, known set.
const FROZEN = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
const START = new Date(FROZEN.getTime() - HOURS * 3600_000);

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sims: RunningSimulators;
let client: pg.Client;
let env: Record<string, string>;
const procs: ChildProcess[] = [];
const tails = new Map<ChildProcess, () => string>();
const points: { id: number; provider: 'twin' | 'nettra' | 'novus'; device: string }[] = [];

const start = (roles: string) => {
  const p = runCli(['start', '--roles', roles], env);
  // Keep the last output of each process for the failure message.
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  p.stderr?.on('data', keep);
  p.stdout?.on('data', keep);
  tails.set(p, () => tail);
  p.once('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && code !== 0) console.error(`${roles} exited ${code}:\n${tail}`);
  });
  procs.push(p);
  return p;
};
const running = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
const kill = async (p: ChildProcess) => {
  if (!running(p)) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
};
const count = async () => Number((await client.query('SELECT count(*) AS n FROM measurements')).rows[0].n);
const waitFor = async (what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 500) => {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
};

beforeAll(async () => {
  db = await freshDatabase();
  sims = await startSimulators({ clock: () => FROZEN });
  env = { DATABASE_URL: db.url, REDIS_URL, KAFKA_BROKERS: KAFKA, BUS_NAMESPACE: uniquePrefix(), CACHE_PREFIX: uniquePrefix(), SECRET_KEY, LOG_LEVEL: 'warn', PORT: '0' };
  expect((await waitForExit(runCli(['migrate'], env))).code).toBe(0);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const box = new SecretBox(SECRET_KEY);
  await client.query("INSERT INTO clients (name, rut) VALUES ('K', '12345678-5')");
  await client.query("INSERT INTO projects (client_id, name) VALUES (1, 'K')");
  for (const provider of ['twin', 'nettra', 'novus'] as const) {
    const t = await client.query('INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id', [provider, JSON.stringify(templateConfig(provider))]);
    await client.query(
      `INSERT INTO provider_accounts (provider, name, base_url, username, password_enc, is_default) VALUES ($1, 'sim', $2, 'u', $3, true)`,
      [provider, `${sims.url}/${provider}`, box.encrypt('demo')],
    );
    for (let i = 0; i < 3; i++) {
      const device = `kafka-${provider}-${i}`;
      const p = await client.query(
        `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency, provider_device, provider_token_enc, telemetry_start_at, level_sensor_position)
         VALUES (1, $1, true, $2, 5, $3, $4, $5, 80) RETURNING id`,
        [device, provider, provider === 'twin' ? device : null, provider === 'twin' ? null : box.encrypt(device), START],
      );
      await client.query('INSERT INTO dynamic_schemas (point_id, template_id) VALUES ($1, $2)', [p.rows[0].id, t.rows[0].id]);
      points.push({ id: Number(p.rows[0].id), provider, device });
    }
  }
}, 120_000);

afterAll(async () => {
  for (const p of procs) await kill(p);
  await client?.end();
  await sims?.close();
  await db?.drop();
});

describe('pipeline on Kafka + PostgreSQL + Redis', () => {
  it('loses nothing and stores nothing twice when collector and processor are killed mid-stream', async () => {
    const expectedPerVariable = HOURS * 60; // readings in (START, FROZEN], one a minute
    const expected = points.length * 3 * expectedPerVariable;
    let processor = start('processor,scheduler');
    let collector = start('collector');
    await waitFor('some measurements', async () => (await count()) > expected * 0.05, 90_000, 100);
    await Promise.all([kill(collector), kill(processor)]);
    const atKill = await count();
    expect(atKill).toBeLessThan(expected);
    processor = start('processor,scheduler');
    collector = start('collector');
    await waitFor(`all ${expected} measurements`, async () => (await count()) >= expected, 180_000);
    await new Promise((r) => setTimeout(r, 3000)); // anything re-delivered late would show up now

    const stored = await client.query<{ point_id: string; variable: string; ts: Date; raw_value: unknown }>(
      'SELECT point_id, variable, ts, raw_value FROM measurements ORDER BY point_id, variable, ts',
    );
    expect(stored.rows.length).toBe(expected);
    const channel: Record<string, Record<string, string>> = {
      twin: { caudal: 'caudal', totalizador: 'totalizador', nivel: 'nivel' },
      nettra: { caudal: 'flow_m3h', totalizador: 'total_pulses', nivel: 'level' },
      novus: { caudal: 'caudal', totalizador: 'totalizador', nivel: 'nivel' },
    };
    const seen = new Set<string>();
    for (const row of stored.rows) {
      const point = points.find((p) => p.id === Number(row.point_id))!;
      const t = new Date(row.ts).getTime();
      expect(t).toBeGreaterThan(START.getTime());
      expect(t).toBeLessThanOrEqual(FROZEN.getTime());
      const served = simulatedValue(point.device, channel[point.provider]![row.variable]!, new Date(t));
      expect(Number(row.raw_value), `${point.device} ${row.variable} ${new Date(t).toISOString()}`).toBeCloseTo(served!, 6);
      seen.add(`${row.point_id}|${row.variable}|${t}`);
    }
    expect(seen.size).toBe(expected);
    const dead = await client.query('SELECT count(*)::int AS n FROM dead_letters');
    expect(dead.rows[0].n).toBe(0);
    // The totalizer stayed continuous across the restart: every logged reset is a real drop of the
    // simulated counter (the simulator resets one every ~2 months per device), none is an artefact.
    const resets = await client.query<{ point_id: string; variable: string; ts: Date }>('SELECT point_id, variable, ts FROM totalizer_resets');
    for (const r of resets.rows) {
      const point = points.find((p) => p.id === Number(r.point_id))!;
      const ch = channel[point.provider]![r.variable]!;
      const t = new Date(r.ts).getTime();
      // The counter restarted before: the reading is below the last positive one before it (zeros read meanwhile, the
      // restarted counter with the pump still off, are not themselves the reset).
      let before = 0;
      for (let m = 1; before === 0 && t - m * 60_000 > START.getTime() - 3600_000; m++) before = simulatedValue(point.device, ch, new Date(t - m * 60_000))!;
      expect(simulatedValue(point.device, ch, new Date(t))!).toBeLessThan(before);
    }
  }, 300_000);

  it('two collectors claim every tick exactly once', async () => {
    for (const p of procs) await kill(p);
    start('collector');
    start('collector');
    const since = new Date();
    const collectors = procs.slice(-2);
    await waitFor('two minute ticks', async () => {
      const r = await client.query("SELECT count(*)::int AS n FROM collection_ticks WHERE frequency = 1 AND tick_at >= $1 AND finished_at IS NOT NULL", [new Date(since.getTime() - 60_000)]);
      return r.rows[0].n >= 2;
    }, 150_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${collectors.map((p) => tails.get(p)!()).join('\n---\n')}`);
    });
    const ticks = await client.query<{ frequency: number; tick_at: Date; claimed_by: string }>(
      'SELECT frequency, tick_at, claimed_by FROM collection_ticks WHERE tick_at >= $1',
      [new Date(since.getTime() - 60_000)],
    );
    const keys = ticks.rows.map((r) => `${r.frequency}|${new Date(r.tick_at).toISOString()}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ticks.rows.every((r) => r.claimed_by.length > 0)).toBe(true);
  }, 200_000);
});
