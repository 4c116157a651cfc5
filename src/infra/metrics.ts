import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process; every role records into it, GET /metrics exposes it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'smarthydro_' });

export const metrics = {
  httpDuration: new Histogram({
    name: 'smarthydro_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  collectionRequests: new Counter({
    name: 'smarthydro_collection_results_total',
    help: 'Point-variable collections by provider and result (ok, no_data, request_failed)',
    labelNames: ['provider', 'result'] as const,
    registers: [registry],
  }),
  collectionReadings: new Counter({
    name: 'smarthydro_collection_readings_total',
    help: 'Raw readings published to the bus by provider',
    labelNames: ['provider'] as const,
    registers: [registry],
  }),
  collectionDuration: new Histogram({
    name: 'smarthydro_collection_tick_duration_seconds',
    help: 'Duration of a collection tick by frequency',
    labelNames: ['frequency'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  }),
  processedReadings: new Counter({
    name: 'smarthydro_processed_readings_total',
    help: 'Readings handled by the processor by outcome (stored, duplicate, dead_letter)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
  processingDuration: new Histogram({
    name: 'smarthydro_processing_batch_duration_seconds',
    help: 'Duration of one processor batch (transform + database commit)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  }),
  busLag: new Gauge({
    name: 'smarthydro_bus_consumer_lag',
    help: 'Messages not yet committed by a consumer group',
    labelNames: ['group'] as const,
    registers: [registry],
  }),
  cacheRequests: new Counter({
    name: 'smarthydro_cache_requests_total',
    help: 'Cache reads by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  dgaSubmissions: new Counter({
    name: 'smarthydro_dga_submissions_total',
    help: 'DGA submissions by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
};
