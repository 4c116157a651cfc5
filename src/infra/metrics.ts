import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CacheStats } from './cache/cache.js';

/**
 * The Prometheus registry of one container and the metrics the services record into it; GET /metrics exposes
 * the registry. Built once in the container and handed to whoever records, so two containers in one process
 * (tests, the benchmark) never count into each other.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'smarthydro_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly collectionRequests = new Counter({
    name: 'smarthydro_collection_results_total',
    help: 'Point-variable collections by provider and result (ok, no_data, request_failed)',
    labelNames: ['provider', 'result'] as const,
    registers: [this.registry],
  });

  readonly collectionReadings = new Counter({
    name: 'smarthydro_collection_readings_total',
    help: 'Raw readings published to the bus by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly collectionDuration = new Histogram({
    name: 'smarthydro_collection_tick_duration_seconds',
    help: 'Duration of a collection tick by frequency',
    labelNames: ['frequency'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly processedReadings = new Counter({
    name: 'smarthydro_processed_readings_total',
    help: 'Readings handled by the processor by outcome (stored, duplicate, dead_letter)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly processingDuration = new Histogram({
    name: 'smarthydro_processing_batch_duration_seconds',
    help: 'Duration of one processor batch (transform + database commit)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly busLag = new Gauge({
    name: 'smarthydro_bus_consumer_lag',
    help: 'Messages not yet committed by a consumer group',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  readonly cacheRequests = new Counter({
    name: 'smarthydro_cache_requests_total',
    help: 'Cache reads by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly dgaSubmissions = new Counter({
    name: 'smarthydro_dga_submissions_total',
    help: 'DGA submissions by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private dgaQueueSource: (() => Promise<Record<string, number>>) | undefined;

  /** Where smarthydro_dga_queue is counted from (the container hands in the submissions repository's count). */
  countDgaQueueWith(source: () => Promise<Record<string, number>>): void {
    this.dgaQueueSource = source;
  }

  /** Hits and misses of the container's cache; each read is also counted in smarthydro_cache_requests_total. */
  readonly cacheStats = new CacheStats((result) => this.cacheRequests.inc({ result }));

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'smarthydro_' });
    const queue = () => this.dgaQueueSource;
    new Gauge({
      name: 'smarthydro_dga_queue',
      help: 'DGA slots not sent yet by status (pending, sending, failed, needs_attention), counted at scrape time',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const source = queue();
        if (!source) return;
        // A scrape while the database is away keeps the last counts rather than failing the whole scrape.
        const counts = await source().catch(() => undefined);
        if (counts) for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    const stats = this.cacheStats;
    // Derived at scrape time from the same counts as smarthydro_cache_requests_total.
    new Gauge({
      name: 'smarthydro_cache_hit_ratio',
      help: 'Cache hits / (hits + misses) since the process started',
      registers: [this.registry],
      collect() {
        this.set(stats.hitRatio() ?? 0);
      },
    });
  }
}
