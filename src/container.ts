import type { Config } from './config.js';
import { openDb, type Db } from './infra/db/index.js';
import { migrate } from './infra/db/migrate.js';
import { createCache, type Cache } from './infra/cache/index.js';
import { createLogger, type Logger } from './infra/logger.js';
import { Metrics } from './infra/metrics.js';
import { SecretBox } from './infra/secrets.js';
import { AuthService } from './auth/auth.service.js';
import { RegistryEvents } from './registry/events.js';
import { ClientService } from './registry/client.service.js';
import { ProjectService } from './registry/project.service.js';
import { PointService } from './registry/point.service.js';
import { SchemaService } from './registry/schema.service.js';
import { LatestValuesService } from './telemetry/query/latest.service.js';
import { SeriesService } from './telemetry/query/series.service.js';
import { ConsumptionService } from './telemetry/query/consumption.service.js';
import { StatsService } from './telemetry/query/stats.service.js';
import { upsertRollups } from './telemetry/query/rollups.js';
import { PointVisibility } from './telemetry/query/visibility.js';
import { DgaService } from './dga/dga.service.js';
import { busNames, createBus, type Bus, type BusNames } from './infra/bus/index.js';
import { ProviderAccountService } from './providers/account.service.js';
import { CollectionService } from './telemetry/collection.service.js';
import { ProcessorService } from './telemetry/processor.service.js';

/** Everything a role needs, built in one place and closed in reverse order on shutdown. */
export interface Container {
  config: Config;
  logger: Logger;
  /** Prometheus registry and the metrics recorded into it (GET /metrics). */
  metrics: Metrics;
  db: Db;
  cache: Cache;
  secrets: SecretBox;
  auth: AuthService;
  events: RegistryEvents;
  clients: ClientService;
  projects: ProjectService;
  points: PointService;
  schemas: SchemaService;
  latest: LatestValuesService;
  series: SeriesService;
  consumption: ConsumptionService;
  stats: StatsService;
  /** DGA submissions, compliance and status (the reporter role builds its own DgaReporter). */
  dga: DgaService;
  bus: Bus;
  /** Topic and group names of this deployment. */
  topics: BusNames;
  providerAccounts: ProviderAccountService;
  collection: CollectionService;
  processor: ProcessorService;
  close(): Promise<void>;
}

export async function buildContainer(
  config: Config,
  opts: { logger?: Logger; memoryDb?: boolean; migrate?: boolean } = {},
): Promise<Container> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: opts.memoryDb });
  if (opts.migrate !== false) {
    const applied = await migrate(db, { onApply: (name) => logger.info({ migration: name }, 'applying migration') });
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  const metrics = new Metrics();
  const cache = createCache({ redisUrl: config.redisUrl, prefix: config.cachePrefix, stats: metrics.cacheStats });
  const secrets = new SecretBox(config.secretKey);
  const events = new RegistryEvents(cache);
  const auth = new AuthService({ db, cache });
  const clients = new ClientService({ db, events });
  const projects = new ProjectService({ db, events });
  const points = new PointService({ db, cache, secrets, events });
  const schemas = new SchemaService({ db, cache, events, points });
  const dga = new DgaService({
    db,
    tz: config.reportTimezone,
    variablesConfig: async (pointId) => (await schemas.mergedConfig(pointId)).merged_config,
  });
  const bus = createBus({ kafkaBrokers: config.kafkaBrokers, clientId: `smarthydro-${process.pid}`, logger });
  const topics = busNames(config.busNamespace);
  await bus.ensureTopics([topics.raw, topics.measurements, topics.dlq], 6);
  const providerAccounts = new ProviderAccountService({ db, secrets, events });
  const collection = new CollectionService({ db, cache, bus, topics, schemas, secrets, accounts: providerAccounts, logger, metrics });
  const visibility = new PointVisibility({ db, cache });
  const latest = new LatestValuesService({ db, cache, visibility });
  const processor = new ProcessorService({
    db, bus, topics, schemas, logger, metrics, retentionDays: config.retentionDays,
    // Rollups inside the processor's transaction; the latest-value cache after its commit.
    hooks: { afterInsert: upsertRollups, onWritten: (pointIds) => latest.onWritten(pointIds) },
  });
  const series = new SeriesService({ db, cache, points, schemas, timezone: config.reportTimezone, visibility });
  const consumption = new ConsumptionService({ db, points, schemas, timezone: config.reportTimezone });
  const stats = new StatsService({ db, cache, metrics, bus, timezone: config.reportTimezone, topics });

  return {
    config,
    logger,
    metrics,
    db,
    cache,
    secrets,
    auth,
    events,
    clients,
    projects,
    points,
    schemas,
    latest,
    series,
    consumption,
    stats,
    dga,
    bus,
    topics,
    providerAccounts,
    collection,
    processor,
    async close() {
      await bus.close().catch((err: unknown) => logger.warn({ err }, 'closing bus failed'));
      await cache.close().catch((err: unknown) => logger.warn({ err }, 'closing cache failed'));
      await db.close().catch((err: unknown) => logger.warn({ err }, 'closing database failed'));
    },
  };
}
