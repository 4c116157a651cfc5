import type { Config } from './config.js';
import { connectFix, describeDatabaseUrl, waitForDatabase } from './infra/db/reachable.js';
import { waitUntilUp } from './lib/wait-until-up.js';
import { openDb, type Db } from './infra/db/index.js';
import { migrate } from './infra/db/migrate.js';
import { createCache, type Cache } from './infra/cache/index.js';
import { connect as connectRedis, type RedisClient } from './infra/cache/redis.js';
import { MemoryCounters, RedisCounters, type Counters } from './infra/counters/index.js';
import { createLogger, type Logger } from './infra/logger.js';
import { Metrics } from './infra/metrics.js';
import { SecretBox } from './infra/secrets.js';
import { systemClock, type Clock } from './lib/clock.js';
import { AuthService } from './auth/auth.service.js';
import { RegistryEvents } from './registry/events.js';
import { ClientService } from './registry/client.service.js';
import { ProjectService } from './registry/project.service.js';
import { PointService } from './registry/point.service.js';
import { SchemaService } from './registry/schema.service.js';
import { LatestValuesService } from './telemetry/query/latest.service.js';
import { SeriesService } from './telemetry/query/series.service.js';
import { ConsumptionService } from './telemetry/query/consumption.service.js';
import { StatsService } from './telemetry/stats/stats.service.js';
import { rebuildRollupsIn, upsertRollups } from './telemetry/query/rollup.repository.js';
import { PointVisibility } from './telemetry/query/visibility.js';
import { DgaService } from './dga/dga.service.js';
import { DgaClient } from './dga/dga.client.js';
import { InformantPacingRepository } from './dga/informant-pacing.repository.js';
import { DgaPointRepository } from './dga/dga-point.repository.js';
import { DgaReporter, type DgaReporterOptions } from './dga/reporter.service.js';
import { SubmissionRepository } from './dga/submission.repository.js';
import { SlotTallyRepository } from './dga/slot-tally.repository.js';
import { busNames, createBus, TOPIC_PARTITIONS, type Bus, type BusNames } from './infra/bus/index.js';
import { ProviderAccountService } from './providers/account.service.js';
import { CollectionService } from './telemetry/collection/collection.service.js';
import { ProcessorService } from './telemetry/ingest/processor.service.js';
import { CsvImportService } from './telemetry/ingest/csv.service.js';
import { LegacyImportService } from './legacy/legacy-import.service.js';
import { DeadLetterService } from './telemetry/dead-letters/dead-letter.service.js';
import { PushService } from './telemetry/ingest/push.service.js';
import { CorrectionService } from './telemetry/corrections/correction.service.js';
import { buildErpServices, type ErpServices } from './erp/erp.services.js';
import { OverviewService } from './overview/overview.service.js';
import { OverviewRepository } from './overview/overview.repository.js';

/** Everything a role needs, built in one place and closed in reverse order on shutdown. */
export interface Container {
  config: Config;
  logger: Logger;
  /** The time source of every service that asks for "now". */
  clock: Clock;
  /** Prometheus registry and the metrics recorded into it (GET /metrics). */
  metrics: Metrics;
  db: Db;
  cache: Cache;
  /** Shared short-lived counters (login failures and lockouts). */
  counters: Counters;
  /** The Redis connection of the API's rate limits and counters; undefined without REDIS_URL (in-process limits). */
  rateLimitRedis: RedisClient | undefined;
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
  /** DGA submissions, compliance and status. */
  dga: DgaService;
  /** A DGA reporter (the reporter role's worker); each call builds one with its own owner name and options. */
  dgaReporter(opts?: DgaReporterOptions): DgaReporter;
  bus: Bus;
  /** Topic and group names of this deployment. */
  topics: BusNames;
  providerAccounts: ProviderAccountService;
  collection: CollectionService;
  processor: ProcessorService;
  csvImport: CsvImportService;
  legacyImport: LegacyImportService;
  deadLetters: DeadLetterService;
  /** Pushed readings (HTTP and MQTT) onto the raw topic. */
  push: PushService;
  /** Corrections of stored readings and their audit trail. */
  corrections: CorrectionService;
  /** ERP: quotes, invoices and payments, expenses, equipment, reports. */
  erp: ErpServices;
  /** Point statuses and the operator dashboard. */
  overview: OverviewService;
  close(): Promise<void>;
}

export async function buildContainer(
  config: Config,
  /**
   * `lowMemory`: an embedded database with small buffers, for batch commands (import-legacy).
   * `waitForServices`: a PostgreSQL or Kafka that is not up yet is waited for (roles); commands fail at once.
   */
  opts: { logger?: Logger; clock?: Clock; memoryDb?: boolean; migrate?: boolean; lowMemory?: boolean; waitForServices?: boolean } = {},
): Promise<Container> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const clock = opts.clock ?? systemClock;
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, memory: opts.memoryDb, lowMemory: opts.lowMemory });
  if (opts.waitForServices && config.databaseUrl) {
    const target = describeDatabaseUrl(config.databaseUrl);
    await waitForDatabase(db, {
      onRetry: ({ attempt, delayMs, err }) =>
        logger.warn({ database: target, attempt, retry_in_ms: delayMs, err: (err as { code?: string }).code ?? (err as Error).message },
          `PostgreSQL is not reachable yet; waiting for it (${connectFix(err)})`),
    });
  }
  if (opts.migrate !== false) {
    const applied = await migrate(db, { onApply: (name) => logger.info({ migration: name }, 'applying migration') });
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    // The compliance tallies of the report zone are built here, with the migrations, once per zone (after an
    // upgrade or a DGA_TIMEZONE change): on a large store this takes minutes and holds DGA writers back, which
    // belongs to a deployment step rather than to the first report someone opens.
    const started = performance.now();
    if (await new SlotTallyRepository(db).keepZone(config.reportTimezone)) {
      logger.info({ zone: config.reportTimezone, seconds: Math.round((performance.now() - started) / 100) / 10 }, 'DGA compliance tallies built for the report zone');
    }
  }
  const metrics = new Metrics();
  const cache = createCache({ redisUrl: config.redisUrl, prefix: config.cachePrefix, stats: metrics.cacheStats });
  const secrets = new SecretBox(config.secretKey);
  const events = new RegistryEvents(cache);
  // Connects on first use: only the API role counts logins and requests.
  const rateLimitRedis = config.redisUrl
    ? connectRedis(config.redisUrl, { connectionName: `smarthydro-limits-${config.cachePrefix}`, lazyConnect: true })
    : undefined;
  rateLimitRedis?.on('error', () => undefined); // surfaced by the failing command
  const counters: Counters = rateLimitRedis ? new RedisCounters(rateLimitRedis, config.cachePrefix) : new MemoryCounters();
  const auth = new AuthService({ db, cache, counters });
  const clients = new ClientService({ db, events });
  const projects = new ProjectService({ db, events });
  const points = new PointService({ db, cache, secrets, events });
  const schemas = new SchemaService({ db, cache, events, points });
  const variables = (pointId: number) => schemas.variables(pointId);
  const dgaSubmissions = new SubmissionRepository(db);
  metrics.countDgaQueueWith(() => dgaSubmissions.queueCounts());
  const dgaPoints = new DgaPointRepository(db);
  const dgaPacing = new InformantPacingRepository(db);
  const dga = new DgaService({ submissions: dgaSubmissions, tallies: new SlotTallyRepository(db), points: dgaPoints, tz: config.reportTimezone, variables, clock,
    zoneKept: opts.migrate !== false,
  });
  const dgaReporter = ({ fetch, requestTimeoutMs, ...tuning }: DgaReporterOptions = {}) =>
    new DgaReporter(
      {
        submissions: dgaSubmissions,
        points: dgaPoints,
        pacing: dgaPacing,
        client: new DgaClient({ apiUrl: config.dgaApiUrl, fetch, requestTimeoutMs }),
        config: {
          tz: config.reportTimezone, variables, variablesMany: (ids) => schemas.variablesMany(ids), password: (encrypted) => secrets.decrypt(encrypted),
        },
        logger,
        metrics,
      },
      { clock, minSpacingMs: config.dgaMinSpacingMs, ...tuning },
    );
  const bus = createBus({ kafkaBrokers: config.kafkaBrokers, clientId: `smarthydro-${process.pid}`, logger });
  const topics = busNames(config.busNamespace);
  const ensureTopics = () => bus.ensureTopics([topics.raw, topics.measurements, topics.dlq], TOPIC_PARTITIONS);
  if (opts.waitForServices && config.kafkaBrokers) {
    // A role started before its Kafka brokers waits for them, like for PostgreSQL.
    await waitUntilUp(ensureTopics, () => true, {
      onRetry: ({ attempt, delayMs, err }) =>
        logger.warn({ brokers: config.kafkaBrokers, attempt, retry_in_ms: delayMs, err: (err as Error).message },
          'Kafka is not reachable yet; waiting for it (start the brokers or fix KAFKA_BROKERS)'),
    });
  } else {
    await ensureTopics();
  }
  const providerAccounts = new ProviderAccountService({ db, secrets, events, hostAllowlist: config.providerHostAllowlist });
  const collection = new CollectionService({ db, cache, bus, topics, schemas, secrets, accounts: providerAccounts, logger, clock, metrics });
  const visibility = new PointVisibility({ db, cache });
  const latest = new LatestValuesService({
    db, cache, visibility, clock,
    onError: (err) => logger.warn({ err }, 'rebuilding the latest-values snapshot failed; the previous one is served until it is too old'),
  });
  const processor = new ProcessorService({
    db, bus, topics, schemas, logger, clock, metrics, retentionDays: config.retentionDays,
    // Rollups inside the processor's transaction; the latest-value cache after its commit.
    hooks: {
      afterInsert: upsertRollups,
      afterRewrite: async (tx, rewritten) => {
        for (const m of rewritten) await rebuildRollupsIn(tx, { from: m.from, pointIds: [m.point_id], variable: m.variable });
      },
      onWritten: (pointIds) => latest.onWritten(pointIds),
    },
  });
  const push = new PushService({ bus, topics, schemas, visibility, auth, clock });
  const series = new SeriesService({ db, cache, points, schemas, timezone: config.reportTimezone, clock, visibility, retentionDays: config.retentionDays });
  const consumption = new ConsumptionService({ db, points, schemas, timezone: config.reportTimezone, clock, retentionDays: config.retentionDays });
  const csvImport = new CsvImportService({ points, schemas, bus, topics, clock });
  const legacyImport = new LegacyImportService({
    db, secrets, events, clock, reportTimezone: config.reportTimezone, retentionDays: config.retentionDays, rebuildRollups: rebuildRollupsIn,
  });
  const deadLetters = new DeadLetterService({ db, points, clock, timezone: config.reportTimezone });
  const corrections = new CorrectionService({ db, visibility, clock, onWritten: (pointIds) => latest.onWritten(pointIds) });
  const erp = buildErpServices({ db, clock, timezone: config.reportTimezone, company: config.company });
  const overview = new OverviewService({ repo: new OverviewRepository(db), dga, tz: config.reportTimezone, clock });
  const stats = new StatsService({ db, cache, metrics, bus, clock, timezone: config.reportTimezone, topics });

  return {
    config,
    logger,
    clock,
    metrics,
    db,
    cache,
    counters,
    rateLimitRedis,
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
    dgaReporter,
    bus,
    topics,
    providerAccounts,
    collection,
    processor,
    csvImport,
    legacyImport,
    deadLetters,
    push,
    corrections,
    erp,
    overview,
    async close() {
      await bus.close().catch((err: unknown) => logger.warn({ err }, 'closing bus failed'));
      await cache.close().catch((err: unknown) => logger.warn({ err }, 'closing cache failed'));
      if (rateLimitRedis) rateLimitRedis.disconnect();
      await db.close().catch((err: unknown) => logger.warn({ err }, 'closing database failed'));
    },
  };
}
