import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Db } from './db.js';
import { PgliteDb } from './pglite.js';
import { PostgresDb } from './postgres.js';

export type { Db, Queryable, QueryResult } from './db.js';
export { escapeCopyText } from './db.js';
export { BINARY_FIELD, BinaryCopyWriter, COPY_CHUNK_BYTES, utf8Bound, type CopyChunk } from './copy-chunks.js';

/** The embedded database's directory under DATA_DIR. */
export function embeddedDataPath(dataDir: string): string {
  return join(dataDir, 'pgdata');
}

export async function openDb(opts: { databaseUrl?: string; dataDir?: string; memory?: boolean; lowMemory?: boolean }): Promise<Db> {
  if (opts.databaseUrl) return new PostgresDb(opts.databaseUrl);
  const tuning = opts.lowMemory ? { sharedBuffersMb: 32 } : {};
  if (opts.memory || !opts.dataDir) return PgliteDb.open(undefined, tuning);
  const dir = embeddedDataPath(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  return PgliteDb.open(dir, tuning);
}
