import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/schemas.js';
import { Dashboard, PointStatusList, PointStatusQuery } from './overview.schemas.js';
import type { OverviewService } from './overview.service.js';

/** Point statuses (every user, scoped to its client) and the operator dashboard (staff). */
export async function overviewRoutes(app: FastifyInstance, { overview }: { overview: OverviewService }) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/points/status', {
    schema: {
      tags: ['points'],
      summary: 'Telemetry status and DGA problem of every point of the caller (filters: client, project), by id',
      querystring: PointStatusQuery,
      response: { 200: PointStatusList, ...errorResponses },
    },
    handler: async (req) => overview.pointStatuses(req.principal, req.query),
  });

  r.get('/dashboard', {
    schema: {
      tags: ['operations'],
      summary: 'The operator dashboard: KPIs, the DGA queue and collection health per provider (staff; 403 for client users)',
      response: { 200: Dashboard, ...errorResponses },
    },
    handler: async (req) => overview.dashboard(req.principal),
  });
}
