import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CopyRows, Db, Queryable, QueryResult } from './db.js';
import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER, COPY_CHUNK_BYTES, type CopyChunk } from './copy-chunks.js';

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

  async copyBinary(table: string, columns: string[], chunks: Iterable<CopyChunk>): Promise<number> {
    const client = await this.checkout();
    try {
      return await copyBinaryOn(client, table, columns, chunks);
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
  let n = 0;
  // Rows are joined into ~256 kB chunks: one socket write per row costs more than the COPY itself.
  // A synchronous source is read synchronously (for await would cost a promise per row).
  const chunker = new Chunker();
  const chunks = Symbol.iterator in rows
    ? (function* () {
        for (const row of rows) {
          n++;
          const full = chunker.add(row);
          if (full) yield full;
        }
        if (chunker.rest) yield chunker.rest;
      })()
    : (async function* () {
        for await (const row of rows) {
          n++;
          const full = chunker.add(row);
          if (full) yield full;
        }
        if (chunker.rest) yield chunker.rest;
      })();
  await streamCopy(client, `COPY ${table} (${columns.join(',')}) FROM STDIN`, chunks);
  return n;
}

async function copyBinaryOn(client: pg.PoolClient, table: string, columns: string[], chunks: Iterable<CopyChunk>) {
  let n = 0;
  const bytes = function* () {
    yield BINARY_COPY_HEADER;
    for (const chunk of chunks) {
      n += chunk.rows;
      yield chunk.bytes;
    }
    yield BINARY_COPY_TRAILER;
  };
  await streamCopy(client, `COPY ${table} (${columns.join(',')}) FROM STDIN WITH (FORMAT binary)`, bytes());
  return n;
}

async function streamCopy(client: pg.PoolClient, sql: string, source: Iterable<string | Buffer> | AsyncIterable<string | Buffer>) {
  await pipeline(Readable.from(source), client.query(copyFromStream(sql)));
}

/** Joins COPY rows into chunks of about COPY_CHUNK_BYTES characters. */
class Chunker {
  rest = '';
  /** Adds a row; returns a chunk when one is full. */
  add(row: string): string | undefined {
    this.rest += row;
    if (this.rest.length < COPY_CHUNK_BYTES) return undefined;
    const full = this.rest;
    this.rest = '';
    return full;
  }
}

function clientQueryable(client: pg.PoolClient): Queryable {
  return {
    bulkLoad: 'copy',
    copyFrom: (table, columns, rows) => copyOn(client, table, columns, rows),
    copyBinary: (table, columns, chunks) => copyBinaryOn(client, table, columns, chunks),
    async query<R>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as unknown[]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}
