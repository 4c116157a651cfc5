import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresDb } from '../../../src/infra/db/postgres.js';
import { freshDatabase } from '../support.js';

/**
 * PostgreSQL ends a connection the pool has checked out (`pg_terminate_backend`, as when the server
 * restarts): the statement in flight fails, the process goes on (an unheard 'error' event would end it —
 * vitest reports it as an unhandled error), and the next statements work on a fresh connection.
 */
let db: Awaited<ReturnType<typeof freshDatabase>>;
let pgdb: PostgresDb;
let admin: pg.Client;

const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  db = await freshDatabase();
  pgdb = new PostgresDb(db.url, { max: 2 });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await pgdb.exec('CREATE TABLE t (n int PRIMARY KEY)');
});

afterAll(async () => {
  await admin?.end();
  await pgdb?.close();
  await db?.drop();
});

describe('a dropped PostgreSQL connection', () => {
  it('fails the transaction in flight and the next one succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const failed = pgdb.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await tx.query('INSERT INTO t VALUES ($1)', [round]);
        await terminate(rows[0]!.pid);
        await sleep(50); // the socket closes while the client is checked out and idle
        await tx.query('INSERT INTO t VALUES ($1)', [1000 + round]);
      });
      await expect(failed).rejects.toThrow();
    }
    await pgdb.transaction((tx) => tx.query('INSERT INTO t VALUES (1)'));
    expect((await pgdb.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(1);
  });

  it('fails a COPY in flight and the next COPY succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const failed = pgdb.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const pid = rows[0]!.pid;
        await tx.copyFrom('t', ['n'], (async function* () {
          for (let i = 0; i < 100_000; i++) {
            if (i === 50_000) {
              await terminate(pid);
              await sleep(50);
            }
            yield `${10_000 + round * 100_000 + i}\n`;
          }
        })());
      });
      await expect(failed).rejects.toThrow();
    }
    expect(await pgdb.copyFrom('t', ['n'], ['2\n', '3\n'])).toBe(2);
    expect((await pgdb.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(3);
  });
});
