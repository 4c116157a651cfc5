import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams } from '../../http/schemas.js';
import { MAX_INGEST_KEY_POINTS, type PushService } from './push.service.js';
import { MAX_PUSH_READINGS, MAX_TEXT_VALUE_LENGTH, PUSH_BODY_LIMIT_BYTES } from './push.rules.js';

export interface PushRouteServices {
  push: PushService;
}

const Accepted = Type.Object({ accepted: Type.Integer({ description: 'readings handed to the processor' }) });

const IngestKey = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  key: Type.String({ description: 'shown only in this answer' }),
  prefix: Type.String(),
  point_ids: Type.Array(Type.Integer()),
});

const PUSH_DESCRIPTION = `Body: \`{"readings":[{"variable":"totalizador","ts":"2026-12-01T10:00:00Z","value":917550}, …]}\`
(1 to ${MAX_PUSH_READINGS} readings) or a single \`{"variable","ts","value"}\`. \`value\` is the device's raw value
(number, numeric string, boolean, or text up to ${MAX_TEXT_VALUE_LENGTH} characters) and is processed by the point's
variable configuration like a provider reading; \`ts\` is ISO 8601 with an offset. Answers 202 once the readings are
on the bus; readings the processor refuses (out of range, too old, in the future) become dead letters.
Staff tokens and ingest keys (POST /ingest-keys) may push.`;

/** Pushed readings and ingest keys. */
export async function pushRoutes(app: FastifyInstance, services: PushRouteServices): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { push } = services;

  r.post('/points/:id/readings', {
    // The body is checked by parsePushBody (shared with MQTT), which names fields as readings[3].ts.
    bodyLimit: PUSH_BODY_LIMIT_BYTES,
    config: { acceptsIngestKeys: true },
    schema: {
      tags: ['telemetry'],
      summary: 'Push readings of a point',
      description: PUSH_DESCRIPTION,
      params: IdParams,
      response: { 202: Accepted, ...errorResponses },
    },
    handler: async (req, reply) => {
      const result = await push.push({ principal: req.principal, ingestPointIds: req.ingestPointIds }, req.params.id, req.body);
      return reply.status(202).send(result);
    },
  });

  r.post('/ingest-keys', {
    schema: {
      tags: ['auth'],
      summary: 'Create an ingest key: an API key that may only push readings to the points it names',
      body: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          point_ids: Type.Array(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }), { minItems: 1, maxItems: MAX_INGEST_KEY_POINTS }),
        },
        { additionalProperties: false },
      ),
      response: { 201: IngestKey, ...errorResponses },
    },
    handler: async (req, reply) => {
      const key = await push.createIngestKey({ principal: req.principal, ingestPointIds: req.ingestPointIds }, req.body.name, req.body.point_ids);
      return reply.status(201).send(key);
    },
  });
}
