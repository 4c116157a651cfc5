import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Container } from '../container.js';
import { errorResponses, IdParams, ListOf } from '../http/schemas.js';
import { parseBbox } from './coordinates.js';
import { Point, PointBody, PointListQuery, PointPatch, PointWithDistance } from './registry.schemas.js';
import type { PointRow } from './point.repository.js';
import type { PointInput } from './point.service.js';

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

export async function pointRoutes(app: FastifyInstance, c: Container) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/points/active', {
    schema: {
      tags: ['points'],
      summary: 'Active telemetry points (cached 300 s, invalidated on any registry change)',
      querystring: Type.Object({
        frequency: Type.Optional(Type.Union([1, 5, 10, 60].map((f) => Type.Literal(f)))),
        provider: Type.Optional(Type.Union(['twin', 'nettra', 'novus', 'push'].map((p) => Type.Literal(p)))),
      }),
    },
    handler: async (req, reply) => {
      const { frequency, provider } = req.query;
      return reply.type('application/json').send(await c.points.activeJson(req.principal, { frequency, provider }));
    },
  });

  r.get('/points/near', {
    schema: {
      tags: ['points'],
      summary: 'Points within radius_m metres of (lat, lon), nearest first; GeoJSON with Accept: application/geo+json',
      querystring: Type.Object({
        lat: Type.Number(),
        lon: Type.Number(),
        radius_m: Type.Number({ exclusiveMinimum: 0, maximum: 5_000_000 }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
      }),
      response: { 200: ListOf(PointWithDistance), ...errorResponses },
    },
    handler: async (req, reply) => {
      const page = await c.points.near(req.principal, req.query);
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
      const page = await c.points.list(req.principal, { ...filter, bbox: bbox ? parseBbox(bbox) : undefined }, limit, offset);
      if (wantsGeoJson(req)) return sendGeoJson(reply, page.items, page.total);
      return page;
    },
  });

  r.get('/points/:id', {
    schema: { tags: ['points'], params: IdParams, response: { 200: Point, ...errorResponses } },
    handler: async (req) => c.points.get(req.principal, req.params.id),
  });

  r.post('/points', {
    schema: { tags: ['points'], body: PointBody, response: { 201: Point, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await c.points.create(req.principal, req.body as PointInput)),
  });

  r.patch('/points/:id', {
    schema: { tags: ['points'], params: IdParams, body: PointPatch, response: { 200: Point, ...errorResponses } },
    handler: async (req) => c.points.update(req.principal, req.params.id, req.body as PointInput),
  });

  r.delete('/points/:id', {
    schema: { tags: ['points'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    handler: async (req, reply) => {
      await c.points.remove(req.principal, req.params.id);
      return reply.status(204).send(null);
    },
  });
}
