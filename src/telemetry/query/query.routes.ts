import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, Nullable } from '../../http/schemas.js';
import { BUCKET_NAMES } from './buckets.js';
import type { LatestValuesService } from './latest.service.js';
import type { SeriesService } from './series.service.js';
import type { ConsumptionService } from './consumption.service.js';

export interface QueryServices {
  latest: LatestValuesService;
  series: SeriesService;
  consumption: ConsumptionService;
}

const LatestVariable = Type.Object({
  variable: Type.String(),
  value: Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]),
  timestamp: Type.String({ format: 'date-time' }),
  quality_score: Type.Number(),
});
const PointLatest = Type.Object({ point_id: Type.Integer(), variables: Type.Array(LatestVariable) });

const Instant = Type.String({
  description: 'ISO 8601 date or date-time; without an offset it is wall-clock time in DGA_TIMEZONE',
  examples: ['2025-03-01', '2025-03-01T00:00:00Z'],
});

const Figures = {
  volume_m3: Nullable(Type.Number()),
  avg_flow_ls: Nullable(Type.Number()),
  max_flow_ls: Nullable(Type.Number()),
  pct_of_granted_flow: Nullable(Type.Number()),
  max_pct_of_granted_flow: Nullable(Type.Number()),
  pct_of_annual_volume: Nullable(Type.Number()),
  measured_from: Nullable(Type.String()),
  measured_to: Nullable(Type.String()),
  resets: Type.Integer(),
  spikes_ignored: Type.Integer(),
};

const Consumption = Type.Object({
  point_id: Type.Integer(),
  variable: Type.String(),
  flow_variable: Nullable(Type.String()),
  period: Type.String(),
  timezone: Type.String(),
  from: Type.String(),
  to: Type.String(),
  granted_flow_ls: Nullable(Type.Number()),
  annual_volume_m3: Nullable(Type.Number()),
  items: Type.Array(Type.Object({ period: Type.String(), start: Type.String(), end: Type.String(), ...Figures })),
  total: Type.Integer(),
  summary: Type.Object(Figures),
});

const Series = Type.Object({
  point_id: Type.Integer(),
  variable: Type.String(),
  bucket: Type.String(),
  from: Type.String(),
  to: Type.String(),
  items: Type.Array(Type.Object({}, { additionalProperties: true }), {
    description:
      'buckets: {timestamp, avg, min, max, count, last}; raw: {variable, timestamp, value, quality_score, quality_flags} ' +
      '(+ original_value, raw_value, corrected, invalid with include=original); values are corrected values, invalidated readings are left out of buckets and have value null',
  }),
  total: Type.Integer(),
  next_from: Type.Optional(Nullable(Type.String())),
});

/** Latest values, measurements (JSON or CSV) and consumption, under /api/v1, scoped to the caller's tenant. */
export async function queryRoutes(app: FastifyInstance, q: QueryServices) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/points/:id/latest', {
    schema: {
      tags: ['telemetry'],
      summary: 'Latest value of every variable of a point (from the cache)',
      params: IdParams,
      response: { 200: PointLatest, ...errorResponses },
    },
    handler: async (req) => q.latest.forPoint(req.principal, req.params.id),
  });

  r.get('/latest', {
    schema: {
      tags: ['telemetry'],
      summary: 'Latest values of every point you may see, or of point_ids (comma-separated); {"items":[{point_id, variables}],"total"}',
      description:
        'Served from a snapshot rebuilt in the background at most once a second while values change, never older than 5 seconds: ' +
        'a stored value shows here within a few seconds (GET /points/{id}/latest shows it at once). The x-snapshot-at header is when the snapshot ' +
        'was taken. The points listed are always those you may see at the time of the request.',
      querystring: Type.Object({ point_ids: Type.Optional(Type.String({ pattern: '^\\d+(,\\d+)*$', maxLength: 100_000 })) }),
      // Documents the answer; the handler sends the snapshot's JSON text (or its gzip) as it is.
      response: { 200: Type.Object({ items: Type.Array(PointLatest), total: Type.Integer() }), ...errorResponses },
    },
    handler: async (req, reply) => {
      const ids = req.query.point_ids?.split(',').map(Number);
      const a = await q.latest.answer(req.principal, ids, /\bgzip\b/.test(req.headers['accept-encoding'] ?? ''));
      reply.type('application/json').header('vary', 'accept-encoding').header('x-snapshot-at', a.snapshotAt.toISOString());
      if (a.gzipped) reply.header('content-encoding', 'gzip');
      return reply.send(a.body);
    },
  });

  r.get('/points/:id/measurements', {
    schema: {
      tags: ['telemetry'],
      summary:
        'Series of one variable: raw readings or UTC buckets (avg, min, max, count, last); auto keeps it to about 2,000 buckets; ' +
        'format=csv (or Accept: text/csv) streams any size',
      params: IdParams,
      querystring: Type.Object({
        variable: Type.Optional(Type.String({ minLength: 1, description: 'required except for a raw CSV export (all variables)' })),
        from: Type.Optional(Instant),
        to: Type.Optional(Instant),
        bucket: Type.Union([...['auto', 'raw', ...BUCKET_NAMES].map((b) => Type.Literal(b))], { default: 'auto' }),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'raw JSON only; default 10000, at most 100000' })),
        include: Type.Optional(
          Type.Literal('original', {
            description: 'raw JSON only: each reading also carries original_value (as recorded), raw_value (as received), corrected and invalid',
          }),
        ),
      }),
      response: { 200: Series, ...errorResponses },
    },
    handler: async (req, reply) => {
      const { format, ...query } = req.query;
      const csv = format === 'csv' || (format === undefined && (req.headers.accept ?? '').includes('text/csv'));
      const sq = { ...query, bucket: query.bucket as never };
      if (!csv) return reply.type('application/json').send(Buffer.from(await q.series.seriesJson(req.principal, req.params.id, sq)));
      const { filename, stream } = await q.series.csv(req.principal, req.params.id, sq);
      stream.on('error', (err) => req.log.error({ err }, 'CSV export failed after the headers were sent'));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(stream);
    },
  });

  r.get('/points/:id/consumption', {
    schema: {
      tags: ['telemetry'],
      summary:
        'Extracted volume per local day or month (DGA_TIMEZONE) from totalizer deltas, reset-aware; average and peak flow; ' +
        'percentages of the granted flow and annual volume',
      params: IdParams,
      querystring: Type.Object({
        from: Type.Optional(Instant),
        to: Type.Optional(Instant),
        period: Type.Union([Type.Literal('day'), Type.Literal('month')], { default: 'day' }),
        variable: Type.Optional(Type.String({ minLength: 1 })),
      }),
      response: { 200: Consumption, ...errorResponses },
    },
    handler: async (req) => q.consumption.consumption(req.principal, req.params.id, req.query),
  });
}
