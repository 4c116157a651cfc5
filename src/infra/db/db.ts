import type { CopyChunk } from './copy-chunks.js';
/** The one database interface: PGlite (embedded) and PostgreSQL (node-postgres) both implement it. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  /**
   * The faster way to load many rows on this connection: 'copy' (`copyFrom`: COPY streams the rows; PostgreSQL)
   * or 'insert' (one INSERT … SELECT from a JSON parameter: PGlite, whose COPY reads a virtual file and gets
   * slower batch after batch in a long-running process).
   */
  readonly bulkLoad: 'copy' | 'insert';
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk load: COPY `table` (`columns`) from rows in COPY's text format (each row a line ending in a newline),
   * on this connection — inside a transaction, as part of it. Returns the rows loaded. All or nothing: a row
   * that violates a constraint fails the whole COPY (with the row's SQLSTATE, e.g. 23505).
   */
  copyFrom(table: string, columns: string[], rows: CopyRows): Promise<number>;
  /**
   * Bulk load like `copyFrom`, from rows in COPY's binary format already encoded into chunks (BinaryCopyWriter),
   * read synchronously; the file header and trailer are added here. Returns the rows loaded.
   */
  copyBinary(table: string, columns: string[], chunks: Iterable<CopyChunk>): Promise<number>;
}

/** Rows for `copyFrom`: COPY text lines (each ending in a newline); a synchronous source is read synchronously (no promise per row). */
export type CopyRows = AsyncIterable<string> | Iterable<string>;

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs fn while holding a session-level advisory lock (one connection for the duration). */
  withAdvisoryLock<T>(key: number, fn: (conn: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One field of COPY's text format. */
export function escapeCopyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
