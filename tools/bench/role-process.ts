import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Container } from '../../src/container.js';
import { busNames, createBus, TOPIC_PARTITIONS, type Bus, type BusNames, type Subscription } from '../../src/infra/bus/index.js';
import { API_NODE_FLAGS } from '../../src/roles/api.js';
import { PROCESSOR_NODE_OPTIONS } from '../../src/roles/processor.js';
import { peakRssOf } from './stats.js';

export interface ProcessorProcess {
  pid: number;
  /** The bench's own bus client (publish raw messages on `topics.raw`). */
  bus: Bus;
  topics: BusNames;
  /** Measurements the processor announced as stored (telemetry.measurements.v1) since it started. */
  stored(): number;
  /** Each announcement as the bench heard it: when, and the measurements announced up to then. */
  announced(): readonly { at: number; stored: number }[];
  /** Resolves once `n` measurements were announced; rejects if the process exits first. */
  storedAtLeast(n: number): Promise<void>;
  /** Peak resident set size in MB (Linux /proc VmHWM), null where there is no /proc. */
  peakRssMb(): number | null;
  /**
   * When the processor's consumer group last settled, as the bench heard it: every one of its `consumers`
   * members joined the newest generation (each join is logged). Null while it has not.
   */
  groupSettledAt(): { at: number; generation: number } | null;
  stop(): Promise<void>;
}

/**
 * A processor as in production: `smarthydro start --roles processor` in a process of its own (with the
 * node flags of its deployment), on a bus namespace of its own, against the bench's database and cache.
 * The bench counts what it stores from what it announces on telemetry.measurements.v1.
 */
export async function startProcessorProcess(
  c: Container,
  consumers: number,
  /** Runs before the process starts (e.g. publishes a backlog for it to drain). */
  before?: (bus: Bus, topics: BusNames) => Promise<void>,
): Promise<ProcessorProcess> {
  const namespace = `bench${randomBytes(4).toString('hex')}`;
  const topics = busNames(namespace);
  const bus = createBus({ kafkaBrokers: c.config.kafkaBrokers, clientId: 'smarthydro-bench', logger: c.logger });
  let stored = 0;
  const announced: { at: number; stored: number }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (stored >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  let child: ReturnType<typeof spawnProcessor> | undefined;
  let watch: Subscription | undefined;
  try {
    await bus.ensureTopics([topics.raw, topics.measurements, topics.dlq], TOPIC_PARTITIONS);
    watch = await bus.subscribe({
      group: `${namespace}-bench-watch`,
      topics: [topics.measurements],
      handler: async (batch) => {
        for (const m of batch) stored += (JSON.parse(m.value) as { count: number }).count;
        announced.push({ at: performance.now(), stored });
        settle();
      },
    });
    await before?.(bus, topics);
    child = spawnProcessor(c, namespace, consumers);
    await child.ready;
    const proc = child;
    const watching = watch;
    return {
      pid: proc.pid,
      bus,
      topics,
      stored: () => stored,
      announced: () => announced,
      storedAtLeast: (n) =>
        Promise.race([
          new Promise<void>((resolve) => {
            waiters.push({ n, resolve });
            settle();
          }),
          proc.exited.then((code) => Promise.reject(new Error(`the processor process exited (${code}) during the run:\n${proc.stderr()}`))),
        ]),
      peakRssMb: () => peakRssOf(proc.pid),
      groupSettledAt: () => settledAt(proc.joins, consumers),
      async stop() {
        await watching.stop();
        await proc.stop();
        await bus.close();
      },
    };
  } catch (err) {
    await watch?.stop();
    await child?.stop();
    await bus.close();
    throw err;
  }
}

interface GroupJoin {
  at: number;
  generation: number;
}

/** The moment the last of `members` joins of the newest generation was heard; null if that generation is not complete. */
export function settledAt(joins: readonly GroupJoin[], members: number): { at: number; generation: number } | null {
  const newest = Math.max(-1, ...joins.map((j) => j.generation));
  const of = joins.filter((j) => j.generation === newest);
  return of.length >= members ? { at: of[members - 1]!.at, generation: newest } : null;
}

function spawnProcessor(c: Container, namespace: string, consumers: number) {
  const child = spawnRole(c, 'processor', PROCESSOR_NODE_OPTIONS.split(' '), { BUS_NAMESPACE: namespace, PROCESSOR_CONCURRENCY: String(consumers) });
  const joins: GroupJoin[] = [];
  const group = busNames(namespace).processorGroup;
  child.onLogLine((line) => {
    if (!line.includes('"joined the consumer group"')) return;
    let e: { group?: string; generation?: number };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      return; // not a log line of ours (a line the runtime printed)
    }
    if (e.group === group && typeof e.generation === 'number') joins.push({ at: performance.now(), generation: e.generation });
  });
  return { ...child, joins };
}

/** An api as deployed: `smarthydro start --roles api` in a process of its own (API_NODE_FLAGS), on a loopback port it picks. */
export interface ApiProcess {
  pid: number;
  url: string;
  /** Peak resident set size in MB (Linux /proc VmHWM), null where there is no /proc. */
  peakRssMb(): number | null;
  stop(): Promise<void>;
}

export async function startApiProcess(c: Container): Promise<ApiProcess> {
  const child = spawnRole(c, 'api', API_NODE_FLAGS, { PORT: '0', HOST: '127.0.0.1' });
  // The address it listens on, as `start` prints it ("SmartHydro is running at http://…").
  let url: string | undefined;
  child.onLogLine((line) => (url ??= /running at (http:\/\/\S+)/.exec(line)?.[1]));
  try {
    await child.ready;
    if (!url) throw new Error('the api process started without printing where it listens');
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { pid: child.pid, url, peakRssMb: () => peakRssOf(child.pid), stop: () => child.stop() };
}

/**
 * `smarthydro start --roles <role>` with the node flags given, against the bench's database (the rest of the
 * environment inherited); ready once it logged that its roles started. Log lines (JSON) reach `onLogLine`.
 */
function spawnRole(c: Container, role: string, nodeFlags: string[], env: Record<string, string>) {
  const here = fileURLToPath(import.meta.url);
  // tools/bench → src/main.ts (tsx), dist/tools/bench → dist/src/main.js (built)
  const main = [join(dirname(here), '..', '..', 'src', 'main.js'), join(dirname(here), '..', '..', 'src', 'main.ts')].find((f) => existsSync(f));
  if (!main) throw new Error(`cannot find the smarthydro entry point beside ${here}`);
  // From source (tests) the entry point is TypeScript: load it through tsx, as `npm run dev` does.
  const loader = main.endsWith('.ts') && !process.execArgv.includes('tsx') ? ['--import', 'tsx'] : [];
  const args = [...process.execArgv, ...loader, ...nodeFlags, main, 'start', '--roles', role];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      DATABASE_URL: c.config.databaseUrl,
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: `bench-${role}@smarthydro.local`,
      ADMIN_PASSWORD: randomBytes(12).toString('hex'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      out = (out + text).slice(-10_000);
      if (out.includes('"roles started"')) resolve();
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) for (const l of listeners) l(line);
    });
    void exited.then((code) => reject(new Error(`the ${role} process exited (${code}) before it started:\n${err || out}`)));
  });
  return {
    pid: child.pid!,
    ready,
    exited,
    stderr: () => err,
    onLogLine: (l: (line: string) => void) => void listeners.push(l),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
