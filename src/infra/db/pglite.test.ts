import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './db.js';
import { PgliteDb } from './pglite.js';

let db: Db;
beforeAll(async () => {
  db = await PgliteDb.open();
  await db.exec('CREATE TABLE t (id int PRIMARY KEY, note text)');
});
afterAll(async () => db.close());

const count = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n;

describe('PGlite copyFrom', () => {
  it('loads COPY text rows, from a synchronous or an asynchronous source', async () => {
    expect(await db.copyFrom('t', ['id', 'note'], ['1\tone\n', '2\t\\N\n'])).toBe(2);
    async function* more() {
      yield '3\ttab\\there\n';
    }
    expect(await db.copyFrom('t', ['id', 'note'], more())).toBe(1);
    const { rows } = await db.query<{ id: number; note: string | null }>('SELECT id, note FROM t ORDER BY id');
    expect(rows).toEqual([{ id: 1, note: 'one' }, { id: 2, note: null }, { id: 3, note: 'tab\there' }]);
    await db.exec('TRUNCATE t');
  });

  it('is part of the transaction it runs in, and fails whole with the SQLSTATE of a duplicate key', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.copyFrom('t', ['id'], ['10\n', '11\n']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await count()).toBe(0);

    await db.transaction(async (tx) => {
      await tx.copyFrom('t', ['id'], ['10\n']);
      await tx.exec('SAVEPOINT s');
      await expect(tx.copyFrom('t', ['id'], ['12\n', '10\n'])).rejects.toMatchObject({ code: '23505' });
      await tx.exec('ROLLBACK TO SAVEPOINT s');
    });
    expect(await count()).toBe(1);
  });
});

describe('PGlite and the event loop', () => {
  it('lets work waiting on the event loop (a request) run between the statements of a transaction', async () => {
    let requestServed = false;
    const servedBefore: boolean[] = [];
    await db.transaction(async (tx) => {
      setImmediate(() => (requestServed = true));
      for (let i = 0; i < 3; i++) {
        await tx.query('SELECT 1');
        servedBefore.push(requestServed);
      }
    });
    expect(servedBefore.at(-1)).toBe(true);
  });
});
