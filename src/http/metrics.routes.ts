import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../infra/metrics.js';

/**
 * GET /metrics (Prometheus text, no authentication: it holds no tenant data) and the HTTP latency
 * histogram, labelled by route pattern (`/api/v1/points/:id`), never by the raw URL, so the number
 * of series stays bounded. Register on the root instance before the routes.
 */
export function registerMetrics(app: FastifyInstance, opts: { metrics: Metrics; refreshBusLag?: () => Promise<unknown> }) {
  const { metrics } = opts;
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
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
