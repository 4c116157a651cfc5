export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Merges a point's custom config over its template's: objects merge recursively,
 * scalars and arrays from `custom` replace, and `null` in `custom` removes the key.
 * Neither input is modified.
 */
export function deepMerge(base: Json | undefined, custom: Json | undefined): Json {
  if (custom === undefined) return structuredClone(base ?? {});
  if (!isObject(base) || !isObject(custom)) return structuredClone(custom);
  const out: Record<string, Json> = structuredClone(base);
  for (const [key, value] of Object.entries(custom)) {
    if (value === null) {
      delete out[key];
    } else if (isObject(value) && isObject(out[key])) {
      out[key] = deepMerge(out[key], value);
    } else {
      out[key] = stripNulls(structuredClone(value));
    }
  }
  return out;
}

/** A `null` nested in a newly added object means "absent", as it would when merged over an existing one. */
function stripNulls(v: Json): Json {
  if (!isObject(v)) return v;
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out;
}
