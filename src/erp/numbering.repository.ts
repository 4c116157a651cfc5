import type { Queryable } from '../infra/db/index.js';
import { documentNumber, type Series } from './numbering.js';

/**
 * The next number of a series and year, taken inside the caller's transaction. The upsert is one statement
 * that locks the counter row until that transaction ends: concurrent creations queue on it, and a creation
 * that rolls back gives its number back, so numbers stay consecutive with no gaps.
 */
export async function takeNumber(tx: Queryable, series: Series, year: number): Promise<string> {
  const { rows } = await tx.query<{ last_number: number }>(
    `INSERT INTO document_counters (series, year, last_number) VALUES ($1, $2, 1)
     ON CONFLICT (series, year) DO UPDATE SET last_number = document_counters.last_number + 1
     RETURNING last_number`,
    [series, year],
  );
  return documentNumber(series, year, rows[0]!.last_number);
}
