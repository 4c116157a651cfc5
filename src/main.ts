#!/usr/bin/env node
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildContainer, type Container } from './container.js';
import { openDb } from './infra/db/index.js';
import { connectFix, describeDatabaseUrl, isDatabaseConnectError } from './infra/db/reachable.js';
import { migrate } from './infra/db/migrate.js';
import { ensureFirstAdmin } from './auth/bootstrap.js';
import { seedDemo } from './demo/seed.js';
import { startApi, type RunningRole } from './roles/api.js';
import { startCollector } from './roles/collector.js';
import { startProcessor } from './roles/processor.js';
import { startScheduler } from './roles/scheduler.js';
import { startReporter } from './roles/reporter.js';
import { startMqtt } from './roles/mqtt.js';
import { ensureDemoAccounts, startSimulators, type RunningSimulators } from './demo/simulators.js';
import { IMPORT_CSV_USAGE, importCsvCommand } from './cli/import-csv.command.js';
import { IMPORT_LEGACY_USAGE } from './cli/import-legacy.command.js';
import { IMPORT_HEAP_MB, runHeapBounded } from './cli/heap-bounded.js';
import { BACKUP_USAGE, RESTORE_USAGE, backupCommand, restoreCommand } from './cli/backup.command.js';
import { startOps } from './roles/ops.js';

const usage = () => `usage: smarthydro <command> [options]

commands:
  start [--roles ${ALL_ROLES.join(',')}] [--demo]   run roles (all by default)
  migrate                                                              apply database migrations
  simulate [--port N]                                                  provider (Twin, Nettra, Novus) and DGA simulators
  ${IMPORT_CSV_USAGE}
      back-fill a point's readings from a CSV (through the processor; see README)
  ${IMPORT_LEGACY_USAGE}
      import the legacy system's registry from Django dumpdata files (any order; --dry-run writes nothing)
  ${BACKUP_USAGE}
      write the embedded store (DATA_DIR) to one file; with DATABASE_URL see docs/operations.md
  ${RESTORE_USAGE}
      restore such a file into DATA_DIR (an occupied DATA_DIR only with --force)
  bench [--json] [--only queries|ingest|import|scale] [--quick] …      performance report (tools/bench; see DEVELOPERS.md)
  help                                                                 this text

configuration comes from the environment: PORT, DATA_DIR, DATABASE_URL, REDIS_URL, KAFKA_BROKERS,
SECRET_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, DGA_API_URL, DGA_TIMEZONE, MQTT_URL, LOG_LEVEL (see README).`;

type RoleStarter = (c: Container) => Promise<RunningRole>;

/** Every role, in start order: partitions first, then the consumer, then producers of work, then the API. */
const ROLE_STARTERS: readonly (readonly [string, RoleStarter])[] = [
  ['scheduler', startScheduler],
  ['processor', (c) => startProcessor(c)],
  ['collector', (c) => startCollector(c)],
  ['reporter', (c) => startReporter(c)],
  ['mqtt', (c) => startMqtt(c)],
  ['api', startApi],
];
const ALL_ROLES = ROLE_STARTERS.map(([name]) => name);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'migrate':
      return migrateCommand();
    case 'bench':
      return bench(rest);
    case 'simulate':
      return simulate(rest);
    case 'import-csv':
      return importCsvCommand(rest, { config: config() });
    case 'import-legacy':
      config(); // a configuration error is said here, before the worker starts
      // In a worker with a bounded heap: the import's RSS stays low for any file size (see IMPORT_HEAP_MB).
      return runHeapBounded(new URL(`./cli/import-legacy.command${extname(fileURLToPath(import.meta.url))}`, import.meta.url), 'importLegacyCommand', rest, importHeapMb());
    case 'backup':
      return backupCommand(rest, { config: config() });
    case 'restore':
      return restoreCommand(rest, { config: config() });
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage());
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${usage()}`);
      return 2;
  }
}

function config(): Config {
  return loadConfig();
}

/** SMARTHYDRO_IMPORT_HEAP_MB overrides the import's heap (MB, at least 64). */
function importHeapMb(): number {
  const text = process.env['SMARTHYDRO_IMPORT_HEAP_MB'];
  if (text === undefined || text === '') return IMPORT_HEAP_MB;
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < 64) throw new ConfigError([`SMARTHYDRO_IMPORT_HEAP_MB must be a whole number of MB, at least 64 (got "${text}")`]);
  return mb;
}

async function migrateCommand(): Promise<number> {
  const cfg = config();
  const db = await openDb({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    const applied = await migrate(db, { onApply: (name) => console.error(`applying ${name} …`) });
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
    return 0;
  } finally {
    await db.close();
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { roles: { type: 'string' }, demo: { type: 'boolean', default: false } },
    strict: true,
  });
  const cfg = config();
  // Without --roles every role runs, except mqtt when there is no broker (MQTT_URL unset).
  const defaults = ALL_ROLES.filter((r) => r !== 'mqtt' || cfg.mqttUrl);
  const roles = (values.roles ?? defaults.join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !ALL_ROLES.includes(r));
  if (unknown.length) {
    console.error(`unknown role(s): ${unknown.join(', ')}; roles are ${ALL_ROLES.join(', ')}`);
    return 2;
  }
  let simulators: RunningSimulators | undefined;
  if (values.demo) {
    simulators = await startSimulators({ dgaTimeZone: cfg.reportTimezone });
    if (!cfg.dgaApiUrlExplicit) cfg.dgaApiUrl = `${simulators.url}/dga`;
  }
  // A role started before PostgreSQL or Kafka (compose, Kubernetes) waits for them instead of exiting.
  const c = await buildContainer(cfg, { waitForServices: true });
  const running: RunningRole[] = [];
  const shutdown = installShutdown(c, running, simulators);
  try {
    // Only a process that serves logins creates the first admin: hashing its password takes scrypt's 128 MiB, which
    // a worker-only process (a processor sized for 256 MB) has no reason to spend.
    const admin = roles.includes('api') || values.demo ? await ensureFirstAdmin(c, values.demo) : { email: '', created: false };
    if (values.demo && simulators) {
      const seeded = await seedDemo(c);
      if (seeded.seeded) c.logger.info({ points: seeded.points }, 'demo data seeded');
      await ensureDemoAccounts(c, simulators.url);
      console.log(`provider and DGA simulators at ${simulators.url} (DGA: ${cfg.dgaApiUrl})`);
    }
    for (const [role, starter] of ROLE_STARTERS) {
      if (!roles.includes(role)) continue;
      const r = await starter(c);
      running.push(r);
      if ('url' in r && typeof r.url === 'string') {
        const shown = r.url.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
        console.log(`\nSmartHydro is running at ${shown}  (API docs: ${shown}/docs)`);
      }
    }
    // Without the api, the process still answers /health and /metrics on PORT (probes, Prometheus).
    // A port already taken (a worker started beside an api on one machine) leaves this process without them,
    // said in the log, rather than stopping its roles.
    if (!roles.includes('api')) {
      try {
        const ops = await startOps(c);
        running.push(ops);
        c.logger.info({ url: ops.url }, 'health and metrics listening');
      } catch (err) {
        c.logger.error({ err, port: c.config.port }, 'cannot listen for /health and /metrics: set PORT to a free port for them');
      }
    }
    c.logger.info({ roles: running.map((r) => r.name) }, 'roles started');
    if (admin.created && admin.password) {
      console.log(`admin login: ${admin.email}  password: ${admin.password}  (shown once; keep it)\n`);
    } else if (values.demo) {
      console.log(`admin login: ${admin.email} (password was printed on the first start)\n`);
    }
    return await shutdown.done;
  } catch (err) {
    await shutdown.now();
    throw err;
  }
}

/**
 * How long a shutdown may take: orchestrators (Kubernetes, compose) kill a process 10 s after SIGTERM by default, and
 * what was not committed is delivered again anyway.
 */
const SHUTDOWN_DEADLINE_MS = 9_000;

/**
 * SIGTERM/SIGINT: stop roles (they finish in-flight work), then close every connection. A role that has not stopped
 * by the deadline (a provider or DGA request hanging) is left behind: the process exits 1, naming it.
 */
function installShutdown(c: Container, running: RunningRole[], simulators?: RunningSimulators) {
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping = false;
  const now = async () => {
    if (stopping) return;
    stopping = true;
    for (const role of [...running].reverse()) {
      await role.stop().catch((err: unknown) => c.logger.error({ err, role: role.name }, 'role did not stop cleanly'));
    }
    await c.close();
    await simulators?.close();
  };
  const onSignal = (signal: string) => {
    c.logger.info({ signal }, 'shutting down');
    const stillStopping = new Set(running.map((r) => r.name));
    for (const r of running) {
      const stop = r.stop.bind(r);
      r.stop = () => stop().finally(() => stillStopping.delete(r.name));
    }
    const deadline = setTimeout(() => {
      c.logger.error({ roles: [...stillStopping], deadline_ms: SHUTDOWN_DEADLINE_MS }, 'shutdown took too long; exiting without waiting for them');
      resolveDone(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void now().then(() => {
      clearTimeout(deadline);
      resolveDone(0);
    });
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return { done, now };
}

async function simulate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8090' }, host: { type: 'string', default: '127.0.0.1' } } });
  const sims = await startSimulators({ port: Number(values.port), host: values.host });
  console.log(`provider simulators: ${sims.url}/twin  ${sims.url}/nettra  ${sims.url}/novus   (faults: POST ${sims.url}/_sim/faults)`);
  console.log(`DGA simulator:       ${sims.url}/dga  (received: GET ${sims.url}/dga/_sim/received)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sims.close();
  return 0;
}

/** The performance report is a tool beside the product (tools/bench), loaded only when asked for. */
async function bench(args: string[]): Promise<number> {
  const { benchCommand } = await import('../tools/bench/cli.js');
  return benchCommand(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    const databaseUrl = process.env['DATABASE_URL'];
    if (databaseUrl && isDatabaseConnectError(err, databaseUrl)) {
      // EX_UNAVAILABLE: a command run while PostgreSQL is down, or a refused login — said without a stack.
      console.error(`smarthydro: cannot use PostgreSQL at ${describeDatabaseUrl(databaseUrl)} (${(err as { code?: string }).code ?? (err as Error).message}): ${connectFix(err)}`);
      process.exit(69);
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
