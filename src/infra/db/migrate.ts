import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

/** Arbitrary but fixed: every process that migrates takes the same advisory lock. */
const MIGRATION_LOCK_KEY = 7_244_501;

/** `migrations/` of the package: the nearest one above this file (src/infra/db or dist/src/infra/db). */
export const MIGRATIONS_DIR = findUp(dirname(fileURLToPath(import.meta.url)), 'migrations');

function findUp(from: string, name: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, name, '0001_registry.sql'))) return join(dir, name);
    if (dirname(dir) === dir) throw new Error(`no ${name}/ folder above ${from}: the package is incomplete (reinstall it)`);
  }
}

export interface MigrationFile {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that two
 * processes starting at once never apply one twice. Returns the names applied by this call.
 */
export async function migrate(
  db: Db,
  opts: { dir?: string; onApply?: (name: string) => void } = {},
): Promise<string[]> {
  const files = readMigrations(opts.dir);
  return db.withAdvisoryLock(MIGRATION_LOCK_KEY, async (conn) => {
    await conn.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await conn.query<{ version: string; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    for (const [version, row] of applied) {
      const file = files.find((f) => f.version === version);
      if (file && file.checksum !== row.checksum) {
        throw new Error(
          `migration ${row.name} was changed after it was applied; add a new migration file instead of editing it`,
        );
      }
    }
    const done: string[] = [];
    for (const file of files) {
      if (applied.has(file.version)) continue;
      opts.onApply?.(file.name);
      await conn.exec(`BEGIN;\n${file.sql}\n;INSERT INTO schema_migrations (version, name, checksum) VALUES ('${file.version}', '${file.name}', '${file.checksum}');\nCOMMIT;`).catch(async (err: unknown) => {
        await conn.exec('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${file.name} failed: ${(err as Error).message}`, { cause: err });
      });
      done.push(file.name);
    }
    return done;
  });
}
