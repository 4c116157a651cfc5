import { Type, type TSchema } from '@sinclair/typebox';

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const Pagination = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};

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
