#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildContainer, type Container } from './container.js';
import { openDb } from './infra/db/index.js';
import { migrate } from './infra/db/migrate.js';
import { ensureFirstAdmin } from './auth/bootstrap.js';
import { seedDemo } from './demo/seed.js';
import { startApi, type RunningRole } from './roles/api.js';
import { runBench } from './bench/bench.js';

const USAGE = `usage: smarthydro <command> [options]

commands:
  start [--roles api,collector,processor,reporter,scheduler] [--demo]   run roles (all by default)
  migrate                                                              apply database migrations
  bench [--json] [--points N] [--requests N]                           performance report
  help                                                                 this text

configuration comes from the environment: PORT, DATA_DIR, DATABASE_URL, REDIS_URL, KAFKA_BROKERS,
SECRET_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, DGA_API_URL, DGA_TIMEZONE, LOG_LEVEL (see README).`;

export const ALL_ROLES = ['api', 'collector', 'processor', 'reporter', 'scheduler'] as const;
const AVAILABLE_ROLES = new Set(['api']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'migrate':
      return migrateCommand();
    case 'bench':
      return bench(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

function config(): Config {
  return loadConfig();
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
  const roles = (values.roles ?? ALL_ROLES.join(',')).split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ALL_ROLES as readonly string[]).includes(r));
  if (unknown.length) {
    console.error(`unknown role(s): ${unknown.join(', ')}; roles are ${ALL_ROLES.join(', ')}`);
    return 2;
  }
  const cfg = config();
  const c = await buildContainer(cfg);
  const running: RunningRole[] = [];
  const shutdown = installShutdown(c, running);
  try {
    const admin = await ensureFirstAdmin(c, values.demo);
    if (values.demo) {
      const seeded = await seedDemo(c);
      if (seeded.seeded) c.logger.info({ points: seeded.points }, 'demo data seeded');
    }
    for (const role of roles) {
      if (!AVAILABLE_ROLES.has(role)) {
        c.logger.warn({ role }, 'role not available in this version; skipped');
        continue;
      }
      if (role === 'api') {
        const api = await startApi(c);
        running.push(api);
        const shown = api.url.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
        console.log(`\nSmartHydro is running at ${shown}  (API docs: ${shown}/docs)`);
      }
    }
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

/** SIGTERM/SIGINT: stop roles (they finish in-flight work), then close every connection. */
function installShutdown(c: Container, running: RunningRole[]) {
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
  };
  const onSignal = (signal: string) => {
    c.logger.info({ signal }, 'shutting down');
    void now().then(() => resolveDone(0));
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return { done, now };
}

async function bench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      points: { type: 'string', default: '10000' },
      requests: { type: 'string', default: '1000' },
    },
  });
  return runBench(config(), { json: values.json, points: Number(values.points), requests: Number(values.requests) });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
