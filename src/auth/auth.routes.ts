import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorResponses, IdParams, ListOf, Pagination } from '../http/schemas.js';
import { signToken, TOKEN_TTL } from './auth.plugin.js';
import { ApiKey, NewApiKey, PasswordChange, User, UserBody, UserPatch } from './auth.schemas.js';
import { MAX_API_KEY_NAME, type AuthService } from './auth.service.js';
import { ValidationError } from '../errors.js';

const TokenAnswer = Type.Object({ token: Type.String(), token_type: Type.Literal('Bearer'), expires_in: Type.String() });

export interface AuthRouteServices {
  auth: AuthService;
  /** Password checks (login, password change) allowed per client IP per minute. */
  loginRateLimit: number;
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteServices> = async (app, { auth, loginRateLimit }) => {
  // Per client IP, on the routes that check a password (each check costs ~0.3 s of CPU and 128 MiB).
  const PASSWORD_ROUTE_LIMIT = { max: loginRateLimit, timeWindow: 60_000 };
  app.post('/auth/login', {
    config: { rateLimit: PASSWORD_ROUTE_LIMIT },
    schema: {
      tags: ['auth'],
      summary: 'Exchange e-mail and password for a bearer token',
      body: Type.Object({ email: Type.String({ minLength: 3 }), password: Type.String({ minLength: 1 }) }),
      response: { 200: TokenAnswer, ...errorResponses },
    },
    handler: async (req) => {
      const session = await auth.login(req.body.email, req.body.password);
      return { token: signToken(app, session), token_type: 'Bearer' as const, expires_in: TOKEN_TTL };
    },
  });

  await app.register(async (plain) => {
    const secured = plain.withTypeProvider<TypeBoxTypeProvider>();
    secured.addHook('onRequest', app.authenticate);

    secured.get('/auth/me', {
      schema: { tags: ['auth'], response: { 200: User, ...errorResponses } },
      handler: async (req) => auth.getUser(req.principal.userId),
    });

    secured.post('/auth/logout', {
      schema: {
        tags: ['auth'],
        summary: "End the caller's sessions: every token of this user issued so far stops working",
        response: { 204: Type.Null(), ...errorResponses },
      },
      handler: async (req, reply) => {
        if (req.viaApiKey) throw new ValidationError('an API key has no session to end: revoke it with DELETE /api/v1/api-keys/{id}', 'authorization');
        await auth.logout(req.principal);
        return reply.status(204).send(null);
      },
    });

    secured.post('/auth/password', {
      config: { rateLimit: PASSWORD_ROUTE_LIMIT },
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password; ends every session and answers a new token",
        body: PasswordChange,
        response: { 200: TokenAnswer, ...errorResponses },
      },
      handler: async (req) => {
        const session = await auth.changePassword(req.principal, req.body.current_password, req.body.new_password);
        return { token: signToken(app, session), token_type: 'Bearer' as const, expires_in: TOKEN_TTL };
      },
    });

    secured.post('/users', {
      schema: {
        tags: ['auth'],
        summary: 'Create a user (admin only); client_id is required for role client',
        body: UserBody,
        response: { 201: User, ...errorResponses },
      },
      handler: async (req, reply) => reply.status(201).send(await auth.createUser(req.principal, req.body)),
    });

    secured.get('/users', {
      schema: { tags: ['auth'], querystring: Type.Object(Pagination), response: { 200: ListOf(User), ...errorResponses } },
      handler: async (req) => auth.listUsers(req.principal, req.query.limit, req.query.offset),
    });

    secured.patch('/users/:id', {
      schema: {
        tags: ['auth'],
        summary: 'Rename, disable or enable a user (admin only); disabling ends their sessions and API keys at once',
        params: IdParams,
        body: UserPatch,
        response: { 200: User, ...errorResponses },
      },
      handler: async (req) => auth.updateUser(req.principal, req.params.id, req.body),
    });

    secured.delete('/users/:id', {
      schema: { tags: ['auth'], summary: 'Delete a user and their API keys (admin only)', params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
      handler: async (req, reply) => {
        await auth.deleteUser(req.principal, req.params.id);
        return reply.status(204).send(null);
      },
    });

    secured.post('/api-keys', {
      schema: {
        tags: ['auth'],
        summary: 'Create an API key for the caller; the key is shown only in this answer',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: MAX_API_KEY_NAME }) }, { additionalProperties: false }),
        response: { 201: NewApiKey, ...errorResponses },
      },
      handler: async (req, reply) => reply.status(201).send(await auth.createApiKey(req.principal, req.body.name)),
    });

    secured.get('/api-keys', {
      schema: { tags: ['auth'], summary: "The caller's API keys (never the keys themselves)", response: { 200: ListOf(ApiKey), ...errorResponses } },
      handler: async (req) => auth.listApiKeys(req.principal),
    });

    secured.delete('/api-keys/:id', {
      schema: { tags: ['auth'], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
      handler: async (req, reply) => {
        await auth.revokeApiKey(req.principal, req.params.id);
        return reply.status(204).send(null);
      },
    });
  });
};
