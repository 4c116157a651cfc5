import { Type, type TObject, type TSchema, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Principal } from '../auth/principal.js';
import type { Page } from '../infra/db/sql.js';
import { errorResponses, IdParams, ListOf } from './schemas.js';

export interface CrudService<Row, Body, Patch, Query> {
  list(actor: Principal, query: Query): Promise<Page<Row>>;
  get(actor: Principal, id: number): Promise<Row>;
  create(actor: Principal, body: Body): Promise<Row>;
  update(actor: Principal, id: number, patch: Patch): Promise<Row>;
  remove(actor: Principal, id: number): Promise<void>;
}

/** The five registry routes every resource has: list, get, create (201), patch, delete (204). */
export function registerCrud<R extends TSchema, B extends TObject, P extends TObject, Q extends TObject>(
  app: FastifyInstance,
  opts: { path: string; tag: string; row: R; body: B; patch: P; query: Q; service: CrudService<Static<R>, Static<B>, Static<P>, Static<Q>> },
) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { path, tag, service } = opts;
  r.get(path, {
    schema: { tags: [tag], querystring: opts.query, response: { 200: ListOf(opts.row), ...errorResponses } },
    handler: async (req) => service.list(req.principal, req.query as Static<Q>),
  });
  r.get(`${path}/:id`, {
    schema: { tags: [tag], params: IdParams, response: { 200: opts.row, ...errorResponses } },
    handler: async (req) => service.get(req.principal, req.params.id),
  });
  r.post(path, {
    schema: { tags: [tag], body: opts.body, response: { 201: opts.row, ...errorResponses } },
    handler: async (req, reply) => reply.status(201).send(await service.create(req.principal, req.body as Static<B>)),
  });
  r.patch(`${path}/:id`, {
    schema: { tags: [tag], params: IdParams, body: opts.patch, response: { 200: opts.row, ...errorResponses } },
    handler: async (req) => service.update(req.principal, req.params.id, req.body as Static<P>),
  });
  r.delete(`${path}/:id`, {
    schema: { tags: [tag], params: IdParams, response: { 204: Type.Null(), ...errorResponses } },
    handler: async (req, reply) => {
      await service.remove(req.principal, req.params.id);
      return reply.status(204).send(null);
    },
  });
}
