import type { FastifyInstance } from 'fastify';
import type { StatsService } from '../telemetry/stats/stats.service.js';
import { StatsResponse } from '../telemetry/stats/stats.schema.js';
import { errorResponses } from './schemas.js';

/** GET /stats: staff only. */
export async function statsRoutes(app: FastifyInstance, stats: StatsService) {
  await app.register(async (scope) => {
    scope.addHook('onRequest', app.authenticate);
    scope.get(
      '/stats',
      {
        schema: {
          tags: ['operations'],
          summary: 'Collection per provider and frequency, bus lag, processor throughput, dead letters, measurements stored today (staff)',
          response: { 200: StatsResponse, 401: errorResponses[401], 403: errorResponses[403] },
        },
      },
      async (req) => stats.stats(req.principal),
    );
  });
}
