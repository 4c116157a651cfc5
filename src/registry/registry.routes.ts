import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Container } from '../container.js';
import { registerCrud } from '../http/crud.js';
import { errorResponses, IdParams, Pagination } from '../http/schemas.js';
import {
  Client, ClientBody, ClientPatch, PointSchema, PointSchemaBody, Project, ProjectBody, ProjectPatch, Template,
  TemplateBody, TemplatePatch,
} from './registry.schemas.js';
import type { Json } from './deep-merge.js';

/** Clients, projects, schema templates and point schemas. Points have their own routes (geo). */
export async function registryRoutes(app: FastifyInstance, c: Container) {
  registerCrud(app, {
    path: '/clients',
    tag: 'clients',
    row: Client,
    body: ClientBody,
    patch: ClientPatch,
    query: Type.Object({ ...Pagination, q: Type.Optional(Type.String()) }),
    service: c.clients,
  });

  registerCrud(app, {
    path: '/projects',
    tag: 'projects',
    row: Project,
    body: ProjectBody,
    patch: ProjectPatch,
    query: Type.Object({ ...Pagination, client_id: Type.Optional(Type.Integer({ minimum: 1 })) }),
    service: c.projects,
  });

  const s = c.schemas;
  registerCrud(app, {
    path: '/schema-templates',
    tag: 'schemas',
    row: Template,
    body: TemplateBody,
    patch: TemplatePatch,
    query: Type.Object(Pagination),
    service: {
      list: (actor, q) => s.listTemplates(actor, q.limit, q.offset),
      get: (actor, id) => s.getTemplate(actor, id),
      create: (actor, body) => s.createTemplate(actor, body as Parameters<typeof s.createTemplate>[1]),
      update: (actor, id, body) => s.updateTemplate(actor, id, body as Parameters<typeof s.updateTemplate>[2]),
      remove: (actor, id) => s.removeTemplate(actor, id),
    },
  });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/points/:id/schema', {
    schema: { tags: ['schemas'], summary: "A point's dynamic schema with the merged config", params: IdParams, response: { 200: PointSchema, ...errorResponses } },
    handler: async (req) => s.getPointSchema(req.principal, req.params.id),
  });
  r.put('/points/:id/schema', {
    schema: {
      tags: ['schemas'],
      summary: "Set a point's template and/or custom config (deep-merged over the template; null removes a key)",
      params: IdParams,
      body: PointSchemaBody,
      response: { 200: PointSchema, ...errorResponses },
    },
    handler: async (req) =>
      s.setPointSchema(req.principal, req.params.id, req.body as { template_id?: number | null; custom_config?: Json }),
  });
}
