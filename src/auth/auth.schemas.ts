import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { ROLES } from './principal.js';

export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const User = Type.Object({
  id: Type.Integer(),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: Role,
  client_id: Nullable(Type.Integer()),
  is_active: Type.Boolean(),
  created_at: Timestamp,
});

export const UserBody = Type.Object(
  {
    email: Type.String({ format: 'email' }),
    password: Type.String({ minLength: 8 }),
    role: Role,
    client_id: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    name: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
);

export const UserPatch = Type.Object(
  { name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))), is_active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

export const PasswordChange = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 1000 }), new_password: Type.String({ minLength: 8, maxLength: 1000 }) },
  { additionalProperties: false },
);

export const ApiKey = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String(),
  /** `ingest`: may only push readings to `point_ids`. */
  scope: Type.Union([Type.Literal('full'), Type.Literal('ingest')]),
  point_ids: Nullable(Type.Array(Type.Integer())),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
});

/** Answer to creating a key: the only time the key itself is shown. */
export const NewApiKey = Type.Object({ id: Type.Integer(), name: Type.String(), key: Type.String(), prefix: Type.String() });
