import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from './index.js';
import { migrate, readMigrations } from './migrate.js';

describe('migrations', () => {
  it('applies each file once, in order, and records it', async () => {
    const db = await openDb({ memory: true });
    const first = await migrate(db);
    expect(first).toEqual(readMigrations().map((m) => m.name));
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
    await db.close();
  });

  it('rolls back a failing migration and names it; refuses edited applied files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-mig-'));
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE a (id int);');
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE b (id int); SELECT * FROM missing_table;');
    const db = await openDb({ memory: true });
    await expect(migrate(db, { dir })).rejects.toThrow('migration 0002_bad.sql failed');
    const tables = await db.query<{ n: string }>("SELECT to_regclass('b')::text AS n");
    expect(tables.rows[0]!.n).toBeNull();
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE b (id int);');
    expect(await migrate(db, { dir })).toEqual(['0002_bad.sql']);
    writeFileSync(join(dir, '0001_ok.sql'), 'CREATE TABLE a (id bigint);');
    await expect(migrate(db, { dir })).rejects.toThrow('0001_ok.sql was changed after it was applied');
    await db.close();
  });

  it('keeps embedded data across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sh-data-'));
    const a = await openDb({ dataDir: dir });
    await migrate(a);
    await a.query("INSERT INTO clients (name, rut) VALUES ('Persistente', '12345678-5')");
    await a.close();
    const b = await openDb({ dataDir: dir });
    expect(await migrate(b)).toEqual([]);
    const { rows } = await b.query<{ name: string }>('SELECT name FROM clients');
    expect(rows.map((r) => r.name)).toEqual(['Persistente']);
    await b.close();
  });
});
