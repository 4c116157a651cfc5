import type { FastifyInstance } from 'fastify';
import type { StatsService } from '../telemetry/stats/stats.service.js';

/** GET /stats (seed "Estadísticas de recolección"): staff only. */
export async function statsRoutes(app: FastifyInstance, stats: StatsService) {
  await app.register(async (scope) => {
    scope.addHook('onRequest', app.authenticate);
    scope.get(
      '/stats',
      {
        schema: {
          tags: ['operations'],
          summary: 'Collection per provider and frequency, bus lag, processor throughput, dead letters, measurements stored today (staff)',
        },
      },
      async (req) => stats.stats(req.principal),
    );
  });
}
