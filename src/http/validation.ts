import { Ajv, type Options } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS with a default export.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const base: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

/**
 * JSON bodies are checked strictly (no type coercion: `null` never becomes 0, "12" is not a number);
 * query strings and path parameters arrive as text and are coerced.
 */
export function validatorCompiler(shared: Record<string, unknown>[]): FastifySchemaCompiler<FastifySchema> {
  const strict = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  for (const s of shared) {
    strict.addSchema(s);
    coercing.addSchema(s);
  }
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
