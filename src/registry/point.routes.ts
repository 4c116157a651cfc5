import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, ListOf, Nullable } from '../http/schemas.js';
import { parseBbox } from './coordinates.js';
import {
  Frequency, Point, PointBody, PointListQuery, PointPatch, PointProviderSchema, PointWithDistance,
} from './registry.schemas.js';
import type { PointRow } from './point.repository.js';
import type { PointService } from './point.service.js';

const GEOJSON = 'application/geo+json';

function wantsGeoJson(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes(GEOJSON);
}

export function toFeatureCollection(items: (PointRow & { distance_m?: number })[], total: number) {
  return {
    type: 'FeatureCollection',
    total,
    features: items.map(({ latitude, longitude, ...properties }) => ({
      type: 'Feature',
      id: properties.id,
      geometry: latitude === null || longitude === null ? null : { type: 'Point', coordinates: [longitude, latitude] },
      properties,
    })),
  };
}

function sendGeoJson(reply: FastifyReply, items: PointRow[], total: number) {
  return reply.type(GEOJSON).send(JSON.stringify(toFeatureCollection(items, total)));
}

/** One active point as /points/active lists it (the JSON is built by the database and sent as is). */
const ActivePoint = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  provider: Nullable(Type.String()),
  frequency: Type.Integer(),
  project_id: Type.Integer(),
  client_id: Type.Integer(),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  provider_device: Nullable(Type.String()),
  telemetry_start_at: Nullable(Type.String({ format: 'date-time' })),
  dga_send: Type.Boolean(),
});
const ActivePoints = Type.Object({
  points: Type.Array(ActivePoint),
  total: Type.Integer(),
  filters: Type.Object({ frequency: Nullable(Type.Integer()), provider: Nullable(Type.String()) }),
});

export interface PointRouteServices {
  points: PointService;
}

export const pointRoutes: FastifyPluginAsync<PointRouteServices> = async (app, { points }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/points/active', {
    schema: {
      tags: ['points'],
      summary: 'Active telemetry points (cached 300 s, invalidated on any registry change)',
      querystring: Type.Object({ frequency: Type.Optional(Frequency), provider: Type.Optional(PointProviderSchema) }),
      response: { 200: ActivePoints, ...errorResponses },
    },
    handler: async (req, reply) => {
      const { frequency, provider } = req.query;
      return reply.type('application/json').send(await points.activeJson(req.principal, { frequency, provider }));
    },
  });

  r.get('/points/near', {
    schema: {
      tags: ['points'],
      summary: 'Points within radius_m metres of (lat, lon), nearest first; GeoJSON with Accept: application/geo+json',
      querystring: Type.Object({
        lat: Type.Number(),
        lon: Type.Number(),
        radius_m: Type.Number({ exclusiveMinimum: 0, maximum: 5_000_000, description: 'metres, more than 0' }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
      }),
      response: { 200: ListOf(PointWithDistance), ...errorResponses },
    },
    handler: async (req, reply) => {
      const page = await points.near(req.principal, req.query);
      if (wantsGeoJson(req)) return sendGeoJson(reply, page.items, page.total);
      return page;
    },
  });

  r.get('/points', {
    schema: {
      tags: ['points'],
      summary: 'List points; bbox=minLon,minLat,maxLon,maxLat; GeoJSON with Accept: application/geo+json',
      querystring: PointListQuery,
      response: { 200: ListOf(Point), ...errorResponses },
    },
    handler: async (req, reply) => {
      const { limit, offset, bbox, ...filter } = req.query;
      const page = await points.list(req.principal, { ...filter, bbox: bbox ? parseBbox(bbox) : undefined }, limit, offset);
      if (wantsGeoJson(req)) return sendGeoJson(reply, page.items, page.total);
      return page;
    },
  });

  r.get('/points/:id', {
    schema: { tags: ['points'], params: IdParams, response: { 200: Point, ...errorResponses } },
    handler: async (req) => points.get(req.principal, req.params.id),
  });

  r.post('/points', {
    schema: { tags: ['points'], body: PointBody, response: { 201: Point, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await points.create(req.principal, req.body)),
  });

  r.patch('/points/:id', {
    schema: { tags: ['points'], params: IdParams, body: PointPatch, response: { 200: Point, ...errorResponses } },
    handler: async (req) => points.update(req.principal, req.params.id, req.body),
  });

  r.delete('/points/:id', {
    schema: { tags: ['points'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    handler: async (req, reply) => {
      await points.remove(req.principal, req.params.id);
      return reply.status(204).send(null);
    },
  });
};
