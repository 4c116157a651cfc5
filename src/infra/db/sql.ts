import type { Queryable } from './db.js';

/**
 * `UPDATE table SET a = $1, …, updated_at = now() WHERE id = $n RETURNING *` from the keys of
 * `patch` listed in `columns`; undefined values are left out. Null when nothing is to change.
 */
export function updateStatement(
  table: string,
  id: number,
  patchObject: object,
  columns: readonly string[],
): { sql: string; params: unknown[] } | null {
  const patch = patchObject as Record<string, unknown>;
  const sets: string[] = [];
  const params: unknown[] = [];
  for (const col of columns) {
    if (patch[col] === undefined) continue;
    params.push(patch[col]);
    sets.push(`${col} = $${params.length}`);
  }
  if (sets.length === 0) return null;
  params.push(id);
  return {
    sql: `UPDATE ${table} SET ${sets.join(', ')}, updated_at = now() WHERE id = $${params.length} RETURNING *`,
    params,
  };
}

export function insertStatement(
  table: string,
  valuesObject: object,
  columns: readonly string[],
): { sql: string; params: unknown[] } {
  const values = valuesObject as Record<string, unknown>;
  const cols = columns.filter((c) => values[c] !== undefined);
  const params = cols.map((c) => values[c]);
  return {
    sql: `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    params,
  };
}

export async function count(db: Queryable, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS q`, params);
  return rows[0]!.n;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** LIKE's wildcards and its escape character taken literally (use with `ESCAPE '\\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
