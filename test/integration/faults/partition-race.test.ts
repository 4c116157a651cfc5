import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { migrate } from '../../../src/infra/db/migrate.js';
import { PostgresDb } from '../../../src/infra/db/postgres.js';
import { freshDatabase } from '../support.js';

/** Two sessions creating the same new monthly partition at once: both succeed, one partition exists. */
let db: Awaited<ReturnType<typeof freshDatabase>>;
let pgdb: PostgresDb;

beforeAll(async () => {
  db = await freshDatabase();
  pgdb = new PostgresDb(db.url, { max: 2 });
  await migrate(pgdb);
});

afterAll(async () => {
  await pgdb?.close();
  await db?.drop();
});

describe('sh_ensure_measurement_partition', () => {
  it('two concurrent calls for the same new month never fail', async () => {
    const a = new pg.Client({ connectionString: db.url });
    const b = new pg.Client({ connectionString: db.url });
    await Promise.all([a.connect(), b.connect()]);
    try {
      const failures: string[] = [];
      const months = 60;
      for (let i = 0; i < months; i++) {
        const month = new Date(Date.UTC(2300 + Math.floor(i / 12), i % 12, 15));
        const results = await Promise.allSettled([a, b].map((c) => c.query('SELECT sh_ensure_measurement_partition($1) AS name', [month])));
        for (const r of results) if (r.status === 'rejected') failures.push(`${month.toISOString()}: ${(r.reason as Error).message}`);
      }
      expect(failures).toEqual([]);
      const parts = await a.query("SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'r' AND relname LIKE 'measurements\\_23%'");
      expect(parts.rows[0].n).toBe(months);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });
});
