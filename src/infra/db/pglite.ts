import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { CopyRows, Db, Queryable, QueryResult } from './db.js';
import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER, type CopyChunk } from './copy-chunks.js';
import { nextTurn } from '../../lib/event-loop.js';
import { isInteractive, PriorityGate } from './priority.js';

/**
 * Embedded PostgreSQL (WASM): PGlite runs each statement synchronously in this thread, and its promises settle as microtasks: a
 * transaction of many statements would run start to end without the event loop getting a turn, and
 * every request arriving meanwhile (a poll of latest values served from memory) would wait for all of
 * it. A turn of the event loop before each statement of background work (nextTurn) lets them in between
 * statements; a request's own statements do not wait for a turn, and go before queued background work (PriorityGate).
 * `dataDir` undefined → in memory (tests).
 */
/** How long a request's statements may run back to back before the event loop gets a turn (see PgliteDb.turn). */
export const INTERACTIVE_RUN_MS = 50;

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly bulkLoad = 'insert' as const;

  /** Every use of the database passes here: a request's statements go before queued background work. */
  private readonly gate = new PriorityGate();

  /** When this database last let the event loop turn before a statement. */
  private lastTurn = 0;

  private constructor(private readonly pg: PGlite) {}

  /**
   * The turn of the event loop before a statement. A request's statements skip it while one was given
   * less than INTERACTIVE_RUN_MS ago, so a dashboard's queries run back to back rather than each waiting
   * behind a turn of background work; a request running many statements still lets others in that often.
   */
  private async turn(): Promise<void> {
    if (isInteractive() && performance.now() - this.lastTurn < INTERACTIVE_RUN_MS) return;
    await nextTurn();
    this.lastTurn = performance.now();
  }

  /**
   * `loadDataDir`: a dump of `dumpDataDir` the new database starts from (restore into an empty `dataDir`).
   * `sharedBuffersMb`: PostgreSQL's shared_buffers (PGlite's default 128 MB). A batch command that only
   * writes (import-legacy) asks for less, to keep its process's memory down.
   */
  static async open(dataDir?: string, opts: { loadDataDir?: Blob; sharedBuffersMb?: number } = {}): Promise<PgliteDb> {
    const pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
      ...(opts.sharedBuffersMb ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${opts.sharedBuffersMb}MB`] } : {}),
      extensions: { cube, earthdistance, btree_gist, pg_trgm },
      parsers: {
        [types.INT8]: (v: string) => Number(v),
        [types.NUMERIC]: (v: string) => Number(v),
        [types.DATE]: (v: string) => v,
      },
    });
    await pg.exec("SET TimeZone = 'UTC'");
    return new PgliteDb(pg);
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    await this.turn();
    const r = await this.gate.run(() => this.pg.query<R>(sql, params));
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await this.turn();
    await this.gate.run(() => this.pg.exec(sql));
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const turn = () => this.turn();
    return this.gate.run(() => this.pg.transaction(async (tx) =>
      fn({
        bulkLoad: 'insert',
        async query<R>(sql: string, params?: unknown[]) {
          await turn();
          const r = await tx.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        async exec(sql: string) {
          await turn();
          await tx.exec(sql);
        },
        copyFrom: (table, columns, rows) => copyInto(tx, table, columns, rows),
        copyBinary: (table, columns, chunks) => copyBinaryInto(tx, table, columns, chunks),
      }),
    ));
  }

  /** One embedded database belongs to one process; the lock is the process itself. */
  async withAdvisoryLock<T>(_key: number, fn: (conn: Queryable) => Promise<T>): Promise<T> {
    return fn(this);
  }

  copyFrom(table: string, columns: string[], rows: CopyRows): Promise<number> {
    return copyInto(this.pg, table, columns, rows, (fn) => this.gate.run(fn));
  }

  copyBinary(table: string, columns: string[], chunks: Iterable<CopyChunk>): Promise<number> {
    return copyBinaryInto(this.pg, table, columns, chunks, (fn) => this.gate.run(fn));
  }

  /** The whole data directory as a gzipped tar (PGlite's own format, read back by `open(dir, { loadDataDir })`). */
  async dumpDataDir(): Promise<Blob> {
    return this.gate.run(() => this.pg.dumpDataDir('gzip'));
  }

  async ping(): Promise<void> {
    await this.gate.run(() => this.pg.query('SELECT 1'));
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}

/**
 * COPY through PGlite's virtual `/dev/blob` file: the rows are handed over as one Blob (the WASM database reads
 * it in memory, so there is no stream to feed), inside `target`'s transaction when it is one. The rows are
 * gathered before `run` takes the database (a source that reads the database itself then cannot wait on it).
 */
async function copyInto(
  target: Pick<Transaction, 'query'>,
  table: string,
  columns: string[],
  rows: CopyRows,
  run: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<number> {
  const parts: string[] = [];
  if (Symbol.iterator in rows) for (const row of rows) parts.push(row);
  else for await (const row of rows) parts.push(row);
  if (parts.length === 0) return 0;
  await run(() => target.query(`COPY ${table} (${columns.join(',')}) FROM '/dev/blob'`, [], { blob: new Blob(parts) }));
  return parts.length;
}

/** `copyInto` for rows in COPY's binary format (BinaryCopyWriter chunks), between the file's header and trailer. */
async function copyBinaryInto(
  target: Pick<Transaction, 'query'>,
  table: string,
  columns: string[],
  chunks: Iterable<CopyChunk>,
  run: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
): Promise<number> {
  // (Each Buffer is over a plain ArrayBuffer: Buffer.from, Buffer.allocUnsafe.)
  const part = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.length);
  const parts = [part(BINARY_COPY_HEADER)];
  let n = 0;
  for (const chunk of chunks) {
    parts.push(part(chunk.bytes));
    n += chunk.rows;
  }
  if (n === 0) return 0;
  parts.push(part(BINARY_COPY_TRAILER));
  await run(() => target.query(`COPY ${table} (${columns.join(',')}) FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: new Blob(parts) }));
  return n;
}
