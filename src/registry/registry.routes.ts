import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { registerCrud } from '../http/crud.js';
import { errorResponses, Id, IdParams, Pagination } from '../http/schemas.js';
import {
  Client, ClientBody, ClientPatch, PointSchema, PointSchemaBody, Project, ProjectBody, ProjectPatch, Template,
  TemplateBody, TemplatePatch, VariableDescription,
} from './registry.schemas.js';
import type { ClientService } from './client.service.js';
import type { ProjectService } from './project.service.js';
import type { SchemaService, TemplateInput } from './schema.service.js';
import type { Json } from './deep-merge.js';

export interface RegistryRouteServices {
  clients: ClientService;
  projects: ProjectService;
  schemas: SchemaService;
}

/** Clients, projects, schema templates and point schemas. Points have their own routes (geo). */
export const registryRoutes: FastifyPluginAsync<RegistryRouteServices> = async (app, { clients, projects, schemas }) => {
  registerCrud(app, {
    path: '/clients',
    tag: 'clients',
    row: Client,
    body: ClientBody,
    patch: ClientPatch,
    query: Type.Object({ ...Pagination, q: Type.Optional(Type.String({ maxLength: 200, description: 'name contains this text (literally)' })) }),
    service: clients,
  });

  registerCrud(app, {
    path: '/projects',
    tag: 'projects',
    row: Project,
    body: ProjectBody,
    patch: ProjectPatch,
    query: Type.Object({ ...Pagination, client_id: Type.Optional(Id()) }),
    service: projects,
  });

  registerCrud(app, {
    path: '/schema-templates',
    tag: 'schemas',
    row: Template,
    body: TemplateBody,
    patch: TemplatePatch,
    query: Type.Object(Pagination),
    service: {
      list: (actor, q) => schemas.listTemplates(actor, q.limit, q.offset),
      get: (actor, id) => schemas.getTemplate(actor, id),
      // The body schema is stricter than TemplateInput's JSON columns; what passed it is valid JSON.
      create: (actor, body) => schemas.createTemplate(actor, body as TemplateInput),
      update: (actor, id, body) => schemas.updateTemplate(actor, id, body as TemplateInput),
      remove: (actor, id) => schemas.removeTemplate(actor, id),
    },
  });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/points/:id/schema', {
    schema: { tags: ['schemas'], summary: "A point's dynamic schema with the merged config", params: IdParams, response: { 200: PointSchema, ...errorResponses } },
    handler: async (req) => schemas.getPointSchema(req.principal, req.params.id),
  });
  r.get('/points/:id/variables', {
    schema: {
      tags: ['schemas'],
      summary: "A point's variables: label, kind, role (the one flow, totalizer and water level) and the unit of stored values",
      params: IdParams,
      response: { 200: Type.Object({ items: Type.Array(VariableDescription), total: Type.Integer() }), ...errorResponses },
    },
    handler: async (req) => {
      const items = await schemas.describeVariables(req.principal, req.params.id);
      return { items, total: items.length };
    },
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
      schemas.setPointSchema(req.principal, req.params.id, req.body as { template_id?: number | null; custom_config?: Json }),
  });
};
