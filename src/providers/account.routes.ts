import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Container } from '../container.js';
import { registerCrud } from '../http/crud.js';
import { Nullable, Pagination, Timestamp } from '../http/schemas.js';
import type { AccountInput } from './account.service.js';

const Provider = Type.Union([Type.Literal('twin'), Type.Literal('nettra'), Type.Literal('novus')]);
const Body = Type.Object(
  {
    provider: Provider,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    base_url: Type.String({ minLength: 8, maxLength: 500, description: 'e.g. https://tdata.example/api' }),
    username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: 'write-only; stored encrypted' }))),
    is_default: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const Account = Type.Object({
  id: Type.Integer(),
  provider: Type.String(),
  name: Type.String(),
  base_url: Type.String(),
  username: Nullable(Type.String()),
  has_password: Type.Boolean(),
  is_default: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export async function providerAccountRoutes(app: FastifyInstance, c: Container) {
  const s = c.providerAccounts;
  registerCrud(app, {
    path: '/provider-accounts',
    tag: 'providers',
    row: Account,
    body: Body,
    patch: Type.Partial(Body, { additionalProperties: false }),
    query: Type.Object(Pagination),
    service: {
      list: (a, q) => s.list(a, q),
      get: (a, id) => s.get(a, id),
      create: (a, b) => s.create(a, b as AccountInput),
      update: (a, id, b) => s.update(a, id, b as AccountInput),
      remove: (a, id) => s.remove(a, id),
    },
  });
}
