import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { MAX_ID } from './schemas.js';

// ajv-formats ships CommonJS with a default export.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const base: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

type Schema = Record<string, unknown>;
type Validator = ((data: unknown, ctx?: unknown) => boolean) & { errors?: ErrorObject[] | null; schemaEnv?: unknown };

/** Every integer a schema accepts fits a JavaScript number exactly (and so a bigint column), unless it says less. */
function boundIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(boundIntegers);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) out[k] = k === 'const' || k === 'default' || k === 'enum' ? v : boundIntegers(v);
  if (out.type === 'integer') {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = MAX_ID;
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = -MAX_ID;
  }
  return out;
}

const DECIMAL_INTEGER = /^[-+]?[0-9]+$/;
const DECIMAL_NUMBER = /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;

/** The numeric type a query or path field has: `integer`, `number` or none (unions of numeric literals count). */
function numericType(schema: Schema | undefined): 'integer' | 'number' | undefined {
  if (!schema) return undefined;
  if (schema.type === 'integer' || schema.type === 'number') return schema.type;
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (!branches?.length) return undefined;
  const types = branches.map(numericType);
  if (types.every((t) => t === 'integer')) return 'integer';
  if (types.every((t) => t !== undefined)) return 'number';
  return undefined;
}

function failure(path: string, message: string, keyword: string, params: Record<string, unknown> = {}): ErrorObject {
  return { instancePath: `/${path}`, schemaPath: `#/properties/${path}`, keyword, params, message };
}

/**
 * Path and query values arrive as text and Ajv coerces them with `Number()`, which takes `0x10`, `1e20`, ` 7`
 * and `Infinity`. Numbers there must be written in plain decimal, and ids must be exact.
 */
function checkRawNumbers(schema: Schema, data: unknown): ErrorObject | undefined {
  const props = schema.properties as Record<string, Schema> | undefined;
  if (!props || !data || typeof data !== 'object') return undefined;
  for (const [key, prop] of Object.entries(props)) {
    const type = numericType(prop);
    const raw = (data as Record<string, unknown>)[key];
    if (!type || typeof raw !== 'string') continue;
    if (!(type === 'integer' ? DECIMAL_INTEGER : DECIMAL_NUMBER).test(raw)) {
      return failure(key, type === 'integer' ? 'must be an integer in decimal digits' : 'must be a decimal number', 'type', { type });
    }
    if (type === 'integer' && !Number.isSafeInteger(Number(raw))) {
      return failure(key, `must be at most ${MAX_ID}`, 'maximum', { comparison: '<=', limit: MAX_ID });
    }
  }
  return undefined;
}

/**
 * JSON bodies are checked strictly (no type coercion: `null` never becomes 0, "12" is not a number);
 * query strings and path parameters arrive as text and are coerced, after their numbers were checked as text.
 */
export function validatorCompiler(shared: Record<string, unknown>[]): FastifySchemaCompiler<FastifySchema> {
  const strict = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  for (const s of shared) {
    strict.addSchema(s);
    coercing.addSchema(s);
  }
  // One compiled validator per schema object: Ajv refuses a second schema with the same $id.
  const compiled = new Map<Ajv, WeakMap<object, Validator>>([[strict, new WeakMap()], [coercing, new WeakMap()]]);
  const compile = (ajv: Ajv, schema: object): Validator => {
    let v = compiled.get(ajv)!.get(schema);
    if (!v) {
      v = ajv.compile(boundIntegers(schema) as object) as Validator;
      compiled.get(ajv)!.set(schema, v);
    }
    return v;
  };
  return ({ schema, httpPart }) => {
    if (httpPart === 'body') return compile(strict, schema as object);
    const inner = compile(coercing, schema as object);
    if (httpPart !== 'params' && httpPart !== 'querystring') return inner;
    const outer: Validator = (data, ctx) => {
      const bad = checkRawNumbers(schema as Schema, data);
      if (bad) {
        outer.errors = [bad];
        return false;
      }
      const ok = inner(data, ctx);
      outer.errors = inner.errors;
      return ok;
    };
    outer.schemaEnv = inner.schemaEnv;
    return outer;
  };
}
