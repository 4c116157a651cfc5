import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { metrics, registry } from '../infra/metrics.js';
import { cacheStats } from '../infra/cache/cache.js';

// Derived at scrape time; hits and misses are also exported as smarthydro_cache_requests_total.
new Gauge({
  name: 'smarthydro_cache_hit_ratio',
  help: 'Cache hits / (hits + misses) since the process started',
  registers: [registry],
  collect() {
    const total = cacheStats.hits + cacheStats.misses;
    this.set(total > 0 ? cacheStats.hits / total : 0);
  },
});

/**
 * GET /metrics (Prometheus text, no authentication: it holds no tenant data) and the HTTP latency
 * histogram, labelled by route pattern (`/api/v1/points/:id`), never by the raw URL, so the number
 * of series stays bounded. Register on the root instance before the routes.
 */
export function registerMetrics(app: FastifyInstance, opts: { refreshBusLag?: () => Promise<unknown> } = {}) {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', { schema: { tags: ['operations'], security: [], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    // Lag is asked of the broker at scrape time (it sets smarthydro_bus_consumer_lag per group).
    await opts.refreshBusLag?.().catch(() => undefined);
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
