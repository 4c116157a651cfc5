import { Type, type TSchema } from '@sinclair/typebox';

/** The largest id JavaScript holds exactly; a bigint column takes more, but the API never hands those out. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * A row id: a decimal integer 1..2^53-1. In a path or query string the raw text must be plain decimal digits
 * (no `0x10`, `1e3` or blanks); `validation.ts` enforces the pattern before coercion.
 */
export const Id = (opts: { description?: string } = {}) =>
  Type.Integer({ minimum: 1, maximum: MAX_ID, pattern: '^[1-9][0-9]{0,15}$', ...opts });

export const IdParams = Type.Object({ id: Id() });

/** Deepest JSON a request may carry (objects and arrays); schema configs need a handful of levels. */
export const MAX_JSON_DEPTH = 32;

/** Free text: no NUL byte (PostgreSQL text cannot hold one). */
export const Text = (opts: { minLength?: number; maxLength?: number; description?: string; format?: string } = {}) =>
  Type.String({ pattern: '^[^\\u0000]*$', ...opts });

/** The largest offset a list accepts: beyond it a page is always empty and the database would still scan. */
export const MAX_OFFSET = 1_000_000;

export const Pagination = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
};

/** A numeric(precision, scale) column's largest value, for a schema's `maximum`. */
export const numericMax = (precision: number, scale: number) => 10 ** (precision - scale) - 10 ** -scale;

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ListOf = <T extends TSchema>(t: T) => Type.Object({ items: Type.Array(t), total: Type.Integer() });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    field: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true },
);

export const errorResponses = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  409: Type.Ref('Problem'),
};

/** Dates leave the database as Date objects and the API as ISO 8601 UTC strings. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });

/**
 * A query or path field with a default is never required of the client (the validator fills it in), so
 * the OpenAPI document must not mark it required. Applied to every route as it is registered (`onRoute`),
 * on a copy: the TypeBox object stays shared.
 */
export function defaultedFieldsOptional(route: { schema?: Record<string, unknown> }): void {
  const schema = route.schema;
  const query = schema?.querystring as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined;
  if (!schema || !query?.properties || !query.required) return;
  const required = query.required.filter((k) => query.properties![k]?.default === undefined);
  if (required.length === query.required.length) return;
  const { required: _all, ...rest } = query;
  // JSON Schema (draft 4, OpenAPI 3.0) refuses an empty `required`.
  route.schema = { ...schema, querystring: required.length ? { ...rest, required } : rest };
}
