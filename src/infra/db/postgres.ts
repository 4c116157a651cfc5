import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CopyRows, Db, Queryable, QueryResult } from './db.js';
import { COPY_CHUNK_BYTES, type CopyChunk } from './copy-chunks.js';

// int8 (counts, bigserial ids) as numbers: ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric as numbers: coordinates and readings fit a double; exact money lives in the ERP as strings.
pg.types.setTypeParser(1700, (v) => Number(v));
// date as the calendar date text, never shifted by a time zone.
pg.types.setTypeParser(1082, (v) => v);

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly bulkLoad = 'copy' as const;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, opts: { max?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: opts.max ?? 10,
      connectionTimeoutMillis: 5000,
      options: '-c TimeZone=UTC',
    });
    this.pool.on('error', () => undefined); // idle client errors surface on the next query
  }

  async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    const r = await this.pool.query(sql, params as unknown[]);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.checkout();
    try {
      await client.query('BEGIN');
      const result = await fn(clientQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async withAdvisoryLock<T>(key: number, fn: (conn: Queryable) => Promise<T>): Promise<T> {
    const client = await this.checkout();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await fn(clientQueryable(client));
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    } finally {
      client.release();
    }
  }

  async copyFrom(table: string, columns: string[], rows: CopyRows): Promise<number> {
    const client = await this.checkout();
    try {
      return await copyOn(client, table, columns, rows);
    } finally {
      client.release();
    }
  }

  /**
   * A client taken from the pool for several statements. node-postgres emits 'error' on a checked-out client
   * whose connection drops (the server restarted, `pg_terminate_backend`); the pool listens only while the
   * client is idle, and an unheard 'error' event ends the process. Here the statement in flight fails instead,
   * and a broken client is discarded on release rather than handed out again.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => {
      client.removeListener('error', onError);
      release(err ?? broken);
    };
    return client;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function copyOn(client: pg.PoolClient, table: string, columns: string[], rows: CopyRows) {
  const stream = client.query(copyFromStream(`COPY ${table} (${columns.join(',')}) FROM STDIN`));
  let n = 0;
  // Rows are joined into ~256 kB chunks: one socket write per row costs more than the COPY itself.
  // A synchronous source is read synchronously (for await would cost a promise per row).
  const chunker = new Chunker((rows) => (n += rows));
  const chunks = Symbol.iterator in rows
    ? (function* () {
        for (const row of rows) {
          const ready = chunker.add(row);
          if (ready) yield* ready;
        }
        if (chunker.rest) yield chunker.rest;
      })()
    : (async function* () {
        for await (const row of rows) {
          const ready = chunker.add(row);
          if (ready) yield* ready;
        }
        if (chunker.rest) yield chunker.rest;
      })();
  const source = Readable.from(chunks);
  await pipeline(source, stream);
  return n;
}

/** Joins COPY rows into chunks of about COPY_CHUNK_BYTES characters; encoded chunks go as they are. */
class Chunker {
  rest = '';
  constructor(private readonly onRows: (n: number) => void) {}
  /** Adds a row or an encoded chunk; returns what is ready to be written (nothing, a chunk, or two). */
  add(row: string | CopyChunk): (string | Buffer)[] | undefined {
    if (typeof row !== 'string') {
      this.onRows(row.rows);
      const before = this.rest;
      this.rest = '';
      return before ? [before, row.bytes] : [row.bytes];
    }
    this.onRows(1);
    this.rest += row;
    if (this.rest.length < COPY_CHUNK_BYTES) return undefined;
    const full = this.rest;
    this.rest = '';
    return [full];
  }
}

function clientQueryable(client: pg.PoolClient): Queryable {
  return {
    bulkLoad: 'copy',
    copyFrom: (table, columns, rows) => copyOn(client, table, columns, rows),
    async query<R>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as unknown[]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}
