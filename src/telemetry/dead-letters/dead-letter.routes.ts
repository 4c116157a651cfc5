import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, Id, IdParams, ListOf } from '../../http/schemas.js';
import { DeadLetter } from './dead-letter.schemas.js';
import type { DeadLetterService } from './dead-letter.service.js';

const Instant = Type.String({
  maxLength: 40,
  description: 'bounds received_at; ISO 8601, without an offset wall-clock time in DGA_TIMEZONE; default the last 30 days, at most 366 days',
});

const Query = {
  reason: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'code or reason text, whole (unknown_variable) or as a prefix ending in * (value*)',
  })),
  from: Type.Optional(Instant),
  to: Type.Optional(Instant),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
};

/** Dead letters: per point for whoever sees the point, all of them for staff. */
export const deadLetterRoutes: FastifyPluginAsync<{ deadLetters: DeadLetterService }> = async (app, { deadLetters }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get('/points/:id/dead-letters', {
    schema: {
      tags: ['telemetry'],
      summary: 'Readings of a point the processor rejected, with the reason, newest first',
      params: IdParams,
      querystring: Type.Object(Query),
      response: { 200: ListOf(DeadLetter), ...errorResponses },
    },
    handler: async (req) => deadLetters.forPoint(req.principal, req.params.id, req.query),
  });

  r.get('/dead-letters', {
    schema: {
      tags: ['telemetry'],
      summary: 'Every rejected reading (staff), newest first',
      querystring: Type.Object({ ...Query, point_id: Type.Optional(Id()) }),
      response: { 200: ListOf(DeadLetter), ...errorResponses },
    },
    handler: async (req) => deadLetters.list(req.principal, req.query),
  });
};
