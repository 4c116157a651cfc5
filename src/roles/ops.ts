import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { healthRoutes } from '../http/health.routes.js';
import { registerMetrics } from '../http/metrics.routes.js';
import type { RunningRole } from './api.js';

/**
 * A process without the api role (collector, processor, reporter, scheduler, mqtt run apart) still answers
 * GET /health and GET /metrics on PORT: container and Kubernetes probes need the first, and Prometheus scrapes
 * the second, since each process counts its own work (collections in the collector, batches in the processor).
 */
export async function startOps(c: Container): Promise<RunningRole & { app: FastifyInstance; url: string }> {
  const app = Fastify({ loggerInstance: c.logger as FastifyBaseLogger }) as unknown as FastifyInstance;
  // Probes and scrapes come every few seconds: their requests are not logged at info.
  await app.register(
    async (scope) => {
      registerMetrics(scope, { metrics: c.metrics, refreshBusLag: () => c.stats.busLag() });
      await scope.register(healthRoutes(c, {}));
    },
    { logLevel: 'warn' },
  );
  let url: string;
  try {
    url = await app.listen({ port: c.config.port, host: c.config.host });
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    name: 'ops',
    app,
    url,
    async stop() {
      await app.close();
    },
  };
}
