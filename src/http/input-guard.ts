import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';
import { MAX_JSON_DEPTH } from './schemas.js';

/** Where `value` holds a NUL byte (in a string or a key), or nests deeper than allowed; `undefined` when clean. */
export function hostileInput(value: unknown, maxDepth = MAX_JSON_DEPTH): { field: string; problem: 'nul' | 'depth' } | undefined {
  // Iterative, so a 100,000-deep body cannot overflow the stack while it is being refused.
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { field: path, problem: 'nul' };
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    // A streamed body (CSV import) or raw bytes are read by their route, not walked here.
    if (ArrayBuffer.isView(v) || typeof (v as { pipe?: unknown }).pipe === 'function') continue;
    if (depth >= maxDepth) return { field: path, problem: 'depth' };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      if (k.includes('\u0000')) return { field: path || 'body', problem: 'nul' };
      stack.push({ v: child, path: p, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Refuses NUL bytes anywhere in the path, query or JSON body, and JSON nested deeper than MAX_JSON_DEPTH,
 * before any schema or handler sees them: PostgreSQL refuses NUL in text and jsonb, and deep nesting
 * exhausts recursive code further on.
 */
export async function rejectHostileInput(req: FastifyRequest): Promise<void> {
  for (const [part, value] of [['params', req.params], ['query', req.query], ['body', req.body]] as const) {
    const bad = hostileInput(value);
    if (!bad) continue;
    const field = bad.field.replace(/\u0000/g, '\\u0000') || part;
    throw new ValidationError(
      bad.problem === 'nul' ? `${field} must not contain a NUL byte (in ${part})` : `${field} nests deeper than ${MAX_JSON_DEPTH} levels (in ${part})`,
      field,
    );
  }
}
