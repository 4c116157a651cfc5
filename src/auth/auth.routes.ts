import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Container } from '../container.js';
import { errorResponses, IdParams, ListOf, Nullable, Pagination, Timestamp } from '../http/schemas.js';
import { signToken, TOKEN_TTL } from './auth.plugin.js';
import { ROLES } from './principal.js';

const User = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: Type.String(),
  client_id: Nullable(Type.Integer()),
  is_active: Type.Boolean(),
  created_at: Timestamp,
});

export const authRoutes = (c: Container): FastifyPluginAsyncTypebox => async (app) => {
  app.post('/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange e-mail and password for a bearer token',
      body: Type.Object({ email: Type.String({ minLength: 3 }), password: Type.String({ minLength: 1 }) }),
      response: { 200: Type.Object({ token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.String() }), ...errorResponses },
    },
    handler: async (req) => {
      const principal = await c.auth.login(req.body.email, req.body.password);
      return { token: signToken(app, principal), token_type: 'Bearer' as const, expires_in: TOKEN_TTL };
    },
  });

  app.register(async (plain) => {
    const secured = plain.withTypeProvider<TypeBoxTypeProvider>();
    secured.addHook('onRequest', app.authenticate);

    secured.get('/auth/me', {
      schema: { tags: ['auth'], response: { 200: User, ...errorResponses } },
      handler: async (req) => c.auth.getUser(req.principal.userId),
    });

    secured.post('/users', {
      schema: {
        tags: ['auth'],
        summary: 'Create a user (admin only); client_id is required for role client',
        body: Type.Object(
          {
            email: Type.String({ format: 'email' }),
            password: Type.String({ minLength: 8 }),
            role: Type.Union(ROLES.map((r) => Type.Literal(r))),
            client_id: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
            name: Type.Optional(Nullable(Type.String())),
          },
          { additionalProperties: false },
        ),
        response: { 201: User, ...errorResponses },
      },
      handler: async (req, reply) => reply.status(201).send(await c.auth.createUser(req.principal, req.body)),
    });

    secured.get('/users', {
      schema: { tags: ['auth'], querystring: Type.Object(Pagination), response: { 200: ListOf(User), ...errorResponses } },
      handler: async (req) => c.auth.listUsers(req.principal, req.query.limit, req.query.offset),
    });

    secured.post('/api-keys', {
      schema: {
        tags: ['auth'],
        summary: 'Create an API key for the caller; the key is shown only in this answer',
        body: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ id: Type.Integer(), name: Type.String(), key: Type.String(), prefix: Type.String() }) },
      },
      handler: async (req, reply) => reply.status(201).send(await c.auth.createApiKey(req.principal, req.body.name)),
    });

    secured.get('/api-keys', {
      schema: { tags: ['auth'] },
      handler: async (req) => c.auth.listApiKeys(req.principal),
    });

    secured.delete('/api-keys/:id', {
      schema: { tags: ['auth'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
      handler: async (req, reply) => {
        await c.auth.revokeApiKey(req.principal, req.params.id);
        return reply.status(204).send(null);
      },
    });
  });
};
