import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { CopyRows, Db, Queryable, QueryResult } from './db.js';
import { nextTurn } from '../../lib/event-loop.js';

/**
 * Embedded PostgreSQL (WASM): PGlite runs each statement synchronously in this thread, and its promises settle as microtasks: a
 * transaction of many statements would run start to end without the event loop getting a turn, and
 * every request arriving meanwhile (a poll of latest values served from memory) would wait for all of
 * it. A turn of the event loop before each statement (nextTurn) lets them in between statements.
 * `dataDir` undefined → in memory (tests).
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly bulkLoad = 'insert' as const;

  private constructor(private readonly pg: PGlite) {}

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
    await nextTurn();
    const r = await this.pg.query<R>(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  async exec(sql: string): Promise<void> {
    await nextTurn();
    await this.pg.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (tx) =>
      fn({
        bulkLoad: 'insert',
        async query<R>(sql: string, params?: unknown[]) {
          await nextTurn();
          const r = await tx.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        async exec(sql: string) {
          await nextTurn();
          await tx.exec(sql);
        },
        copyFrom: (table, columns, rows) => copyInto(tx, table, columns, rows),
      }),
    );
  }

  /** One embedded database belongs to one process; the lock is the process itself. */
  async withAdvisoryLock<T>(_key: number, fn: (conn: Queryable) => Promise<T>): Promise<T> {
    return fn(this);
  }

  copyFrom(table: string, columns: string[], rows: CopyRows): Promise<number> {
    return copyInto(this.pg, table, columns, rows);
  }

  /** The whole data directory as a gzipped tar (PGlite's own format, read back by `open(dir, { loadDataDir })`). */
  async dumpDataDir(): Promise<Blob> {
    return this.pg.dumpDataDir('gzip');
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}

/**
 * COPY through PGlite's virtual `/dev/blob` file: the rows are handed over as one Blob (the WASM database reads
 * it in memory, so there is no stream to feed), inside `target`'s transaction when it is one.
 */
async function copyInto(target: Pick<Transaction, 'query'>, table: string, columns: string[], rows: CopyRows): Promise<number> {
  const parts: string[] = [];
  if (Symbol.iterator in rows) for (const row of rows) parts.push(row);
  else for await (const row of rows) parts.push(row);
  if (parts.length === 0) return 0;
  await target.query(`COPY ${table} (${columns.join(',')}) FROM '/dev/blob'`, [], { blob: new Blob(parts) });
  return parts.length;
}
