import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, ListOf } from '../../http/schemas.js';
import { Correction, CorrectionBody, CorrectionParams, CorrectionQuery, RevertBody } from './correction.schemas.js';
import type { CorrectionService } from './correction.service.js';

/** Corrections of a point's readings: staff correct and revert; whoever sees the point reads the audit trail. */
export const correctionRoutes: FastifyPluginAsync<{ corrections: CorrectionService }> = async (app, { corrections }) => {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post('/points/:id/corrections', {
    schema: {
      tags: ['telemetry'],
      summary:
        'Correct one reading (value + reason) or invalidate it, singly or for a range of a variable (staff). The recorded value is kept ' +
        '(GET …/measurements?bucket=raw&include=original); series, exports, rollups, latest values, consumption and unsent DGA slots use the correction',
      params: IdParams,
      body: CorrectionBody,
      response: { 201: Correction, ...errorResponses },
    },
    handler: async (req, reply) => reply.code(201).send(await corrections.correct(req.principal, req.params.id, req.body)),
  });

  r.post('/points/:id/corrections/:cid/revert', {
    schema: {
      tags: ['telemetry'],
      summary: 'Undo a correction by appending a revert (staff); the readings get back the state the other corrections give them',
      params: CorrectionParams,
      body: RevertBody,
      response: { 201: Correction, ...errorResponses },
    },
    handler: async (req, reply) => reply.code(201).send(await corrections.revert(req.principal, req.params.id, req.params.cid, req.body)),
  });

  r.get('/points/:id/corrections', {
    schema: {
      tags: ['telemetry'],
      summary: 'Audit trail of the corrections of a point, newest first: who, when, range, action, before, after, reason',
      params: IdParams,
      querystring: CorrectionQuery,
      response: { 200: ListOf(Correction), ...errorResponses },
    },
    handler: async (req) => corrections.list(req.principal, req.params.id, req.query),
  });
};
