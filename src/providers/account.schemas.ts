import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../http/schemas.js';
import { PROVIDERS } from './provider.js';

/** A provider with an HTTP API: what an account, a point's provider and the collector name. */
export const ProviderNameSchema = Type.Union(PROVIDERS.map((p) => Type.Literal(p)));

export const AccountBody = Type.Object(
  {
    provider: ProviderNameSchema,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    base_url: Type.String({ minLength: 8, maxLength: 500, description: 'e.g. https://tdata.example/api' }),
    username: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    password: Type.Optional(Nullable(Type.String({ maxLength: 500, description: 'write-only; stored encrypted' }))),
    is_default: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const AccountPatch = Type.Partial(AccountBody, { additionalProperties: false });

export const Account = Type.Object({
  id: Type.Integer(),
  provider: ProviderNameSchema,
  name: Type.String(),
  base_url: Type.String(),
  username: Nullable(Type.String()),
  has_password: Type.Boolean(),
  is_default: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
  password_cleared: Type.Optional(
    Type.Boolean({ description: 'answer to a change of base_url to another host (or scheme or port) without a new password: the stored password was dropped' }),
  ),
  point_tokens_cleared: Type.Optional(
    Type.Integer({ description: 'with such a change: how many points using this account had their stored provider token dropped (set them again)' }),
  ),
});
