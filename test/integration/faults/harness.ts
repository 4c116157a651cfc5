import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { templateConfig } from '../../../src/demo/seed.js';
import { KafkaBus } from '../../../src/infra/bus/kafka/index.js';
import { busNames } from '../../../src/infra/bus/bus.js';
import { SecretBox } from '../../../src/infra/secrets.js';
import { decodeRawBatch } from '../../../src/telemetry/ingest/raw-message.js';
import { freshDatabase, PG_URL, REDIS_URL, runCli, SECRET_KEY, uniquePrefix, waitForExit } from '../support.js';

/**
 * One fault scenario's world: a fresh database, its own bus namespace and cache prefix, points whose readings the
 * (frozen) provider simulators serve, and the roles as child processes. What was served is known exactly:
 * one reading a minute per variable in (start, frozen].
 */
export const KAFKA = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Role {
  roles: string;
  proc: ChildProcess;
  tail: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The API's base URL, once it printed it. */
  url: Promise<string>;
}

export interface Figures {
  fault: string;
  served: number;
  stored: number;
  duplicates: number;
  deadLetters: number;
  recoverySeconds: number;
  [more: string]: string | number;
}

export class FaultWorld {
  readonly roles: Role[] = [];
  readonly env: Record<string, string>;
  readonly client: pg.Client;
  readonly namespace = uniquePrefix();
  private constructor(
    private readonly db: { url: string; drop: () => Promise<void> },
    env: Record<string, string>,
    private collected: number,
  ) {
    this.env = env;
    this.client = new pg.Client({ connectionString: db.url });
  }

  get databaseName(): string {
    return new URL(this.db.url).pathname.slice(1);
  }

  /**
   * A world of `perProvider` points per provider (Twin, Nettra, Novus; 3 variables each) collected every
   * `frequency` minutes, each owing `hours` of readings up to `frozen`.
   */
  static async create(o: { simulatorUrl: string; frozen: Date; hours: number; perProvider: number; frequency?: number; env?: Record<string, string>; kafka?: string }) {
    const db = await freshDatabase();
    const namespace = uniquePrefix();
    const env = {
      DATABASE_URL: db.url, REDIS_URL, KAFKA_BROKERS: o.kafka ?? KAFKA, BUS_NAMESPACE: namespace, CACHE_PREFIX: uniquePrefix(), SECRET_KEY,
      LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', ADMIN_EMAIL: 'faults@smarthydro.local', ADMIN_PASSWORD: 'fault-suite-admin', ...o.env,
    };
    const migrated = await waitForExit(runCli(['migrate'], env));
    if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
    const served = 3 * o.perProvider * 3 * o.hours * 60;
    const world = new FaultWorld(db, env, served);
    world.points = 3 * o.perProvider;
    Object.assign(world, { namespace });
    await world.client.connect();
    const c = world.client;
    const box = new SecretBox(SECRET_KEY);
    const start = new Date(o.frozen.getTime() - o.hours * 3600_000);
    await c.query("INSERT INTO clients (name, rut) VALUES ('F', '12345678-5')");
    await c.query("INSERT INTO projects (client_id, name) VALUES (1, 'F')");
    for (const provider of ['twin', 'nettra', 'novus'] as const) {
      const t = await c.query('INSERT INTO schema_templates (name, variables_config) VALUES ($1, $2) RETURNING id', [provider, JSON.stringify(templateConfig(provider))]);
      await c.query(
        `INSERT INTO provider_accounts (provider, name, base_url, username, password_enc, is_default) VALUES ($1, 'sim', $2, 'u', $3, true)`,
        [provider, `${o.simulatorUrl}/${provider}`, box.encrypt('demo')],
      );
      for (let i = 0; i < o.perProvider; i++) {
        const device = `fault-${namespace}-${provider}-${i}`;
        const p = await c.query(
          `INSERT INTO catchment_points (project_id, title, is_telemetry_active, provider, frequency, provider_device, provider_token_enc, telemetry_start_at, level_sensor_position)
           VALUES (1, $1, true, $2, $3, $4, $5, $6, 80) RETURNING id`,
          [device, provider, o.frequency ?? 5, provider === 'twin' ? device : null, provider === 'twin' ? null : box.encrypt(device), start],
        );
        await c.query('INSERT INTO dynamic_schemas (point_id, template_id) VALUES ($1, $2)', [p.rows[0].id, t.rows[0].id]);
      }
    }
    return world;
  }

  start(roles: string, env: Record<string, string> = {}): Role {
    const proc = runCli(['start', '--roles', roles], { ...this.env, ...env });
    let tail = '';
    let resolveUrl: (u: string) => void = () => undefined;
    const url = new Promise<string>((r) => (resolveUrl = r));
    const keep = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-6000);
      const m = /running at (http:\/\/\S+)/.exec(tail);
      if (m) resolveUrl(m[1]!.replace('localhost', '127.0.0.1'));
    };
    proc.stderr?.on('data', keep);
    proc.stdout?.on('data', keep);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const role: Role = { roles, proc, tail: () => tail, exit, url };
    this.roles.push(role);
    return role;
  }

  static running(r: Role): boolean {
    return r.proc.exitCode === null && r.proc.signalCode === null;
  }

  async kill(r: Role, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (FaultWorld.running(r)) r.proc.kill(signal);
    const out = await r.exit;
    return { ...out, ms: Date.now() - started };
  }

  /** The last output of every process, for a failure message. */
  tails(): string {
    return this.roles.map((r) => `--- ${r.roles} (${r.proc.pid}, exit ${r.proc.exitCode ?? r.proc.signalCode ?? 'running'}):\n${r.tail()}`).join('\n');
  }

  /** Processes that ended without being told to: their last output, for the failure message. */
  crashed(): string[] {
    return this.roles.filter((r) => r.proc.exitCode !== null && r.proc.exitCode !== 0).map((r) => `${r.roles} exited ${r.proc.exitCode}:\n${r.tail()}`);
  }

  private pushedReadings = 0;
  /** Collected points (perProvider of each provider). */
  points = 0;

  /** Readings the simulators served plus those pushed over HTTP. */
  get served(): number {
    return this.collected + this.pushedReadings;
  }

  private token: string | undefined;

  /** A bearer token of the world's admin (valid on every api process: they share SECRET_KEY). */
  private async adminToken(base: string): Promise<string> {
    if (this.token) return this.token;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: this.env.ADMIN_EMAIL, password: this.env.ADMIN_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login for push: ${login.status} ${await login.text()}`);
    this.token = ((await login.json()) as { token: string }).token;
    return this.token;
  }

  /**
   * Pushes `count` flow readings to a point through the API (as the world's admin), one a minute ending an hour
   * before `before`: outside what the simulators serve when `before` is the start of their window, so each is a
   * new row. Counted in `served` once acknowledged; a request that fails (e.g. the api died) throws.
   */
  async push(api: Role, pointId: number, count: number, before: Date): Promise<void> {
    const base = await api.url;
    const token = await this.adminToken(base);
    const first = before.getTime() - 3600_000 - count * 60_000;
    const readings = Array.from({ length: count }, (_, i) => ({ variable: 'caudal', ts: new Date(first + i * 60_000).toISOString(), value: 1 + (i % 9) }));
    const res = await fetch(`${base}/api/v1/points/${pointId}/readings`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ readings }),
      signal: AbortSignal.timeout(15_000),
    });
    if (res.status >= 300) throw new Error(`push: ${res.status} ${await res.text()}`);
    this.pushedReadings += count;
  }

  async stored(): Promise<number> {
    return Number((await this.client.query('SELECT count(*) AS n FROM measurements')).rows[0].n);
  }

  async distinctStored(): Promise<number> {
    return Number((await this.client.query('SELECT count(*) AS n FROM (SELECT DISTINCT point_id, variable, ts FROM measurements) d')).rows[0].n);
  }

  async deadLetters(): Promise<number> {
    return Number((await this.client.query('SELECT count(*) AS n FROM dead_letters')).rows[0].n);
  }

  async health(r: Role): Promise<{ status: number; body: { status: string; checks: Record<string, { status: string; detail?: string }> } | undefined }> {
    try {
      // An api that has not printed its URL yet (still starting) answers nothing: never wait for it here.
      const base = await Promise.race([r.url, sleep(5000).then(() => undefined)]);
      if (base === undefined) return { status: 0, body: undefined };
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: (await res.json()) as never };
    } catch {
      return { status: 0, body: undefined };
    }
  }

  /** Readings in every message on the raw topic (what the collectors published, re-publications included). */
  async publishedReadings(): Promise<number> {
    const bus = new KafkaBus({ brokers: this.env.KAFKA_BROKERS!.split(','), clientId: `fault-count-${this.namespace}` });
    const raw = busNames(this.namespace).raw;
    let readings = 0;
    let messages = 0;
    try {
      const group = `fault-count-${this.namespace}`;
      const total = await bus.lag(group, [raw]);
      const sub = await bus.subscribe({
        group, topics: [raw], maxBatch: 5000,
        handler: async (batch) => {
          for (const m of batch) {
            const decoded = decodeRawBatch(m.value);
            if ('readings' in decoded) readings += decoded.readings.length;
            messages++;
          }
        },
      });
      await waitFor('the raw topic read to its end', async () => messages >= total, 60_000);
      await sub.stop();
    } finally {
      await bus.close();
    }
    return readings;
  }

  /**
   * PostgreSQL gone for this world's database: every connection to it ended and new ones refused, until the
   * returned function is called (a stand-in for a stopped server that leaves other databases alone).
   * The test's own connection stays.
   */
  async cutDatabase(): Promise<{ ended: number; again: () => Promise<number>; restore: () => Promise<void> }> {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const mine = Number((await this.client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const name = this.databaseName;
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const terminate = async () =>
      Number((await admin.query('SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [name, mine])).rows[0].n);
    const ended = await terminate();
    return {
      ended,
      again: terminate,
      restore: async () => {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
        await admin.end();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.roles.map((r) => this.kill(r)));
    await this.client.end().catch(() => undefined);
    await this.db.drop();
  }
}

export function report(f: Figures): void {
  console.log(`FAULT ${JSON.stringify(f)}`);
}

/**
 * A private single-node Kafka broker (scripts/kafka.sh on other ports and its own directory), which a test may
 * stop and start without disturbing the shared broker other suites use.
 */
export class PrivateKafka {
  readonly brokers: string;
  private readonly env: Record<string, string>;

  constructor(readonly port = 19092) {
    this.brokers = `127.0.0.1:${port}`;
    this.env = {
      ...process.env as Record<string, string>,
      KAFKA_DIR: process.env.FAULTS_KAFKA_DIR ?? `${tmpdir()}/smarthydro-faults-kafka-${port}`,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(port + 1),
      KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
    };
  }

  async start(): Promise<number> {
    return this.script('start');
  }

  async stop(): Promise<number> {
    return this.script('stop');
  }

  private async script(command: 'start' | 'stop'): Promise<number> {
    const started = Date.now();
    const r = await waitForExit(spawn('bash', ['scripts/kafka.sh', command], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] }));
    if (r.code !== 0) throw new Error(`scripts/kafka.sh ${command} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return (Date.now() - started) / 1000;
  }
}

/** A private server process (redis-server, mosquitto) on its own port, started and stopped by a test. */
export class PrivateServer {
  private proc: ChildProcess | undefined;

  constructor(private readonly command: string, private readonly args: string[], readonly port: number) {}

  async start(): Promise<void> {
    const proc = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d) => (out = (out + d).slice(-2000)));
    proc.stderr?.on('data', (d) => (out = (out + d).slice(-2000)));
    this.proc = proc;
    await waitFor(`${this.command} on port ${this.port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`${this.command} exited ${proc.exitCode}: ${out}`);
      return portOpen(this.port);
    }, 20_000, 100);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
