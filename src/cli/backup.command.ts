import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { embeddedDataPath } from '../infra/db/index.js';
import { PgliteDb } from '../infra/db/pglite.js';
import { StoreCensusRepository, type StoreCounts } from '../infra/db/store-census.repository.js';
import { EXIT, startCommand, type CommandIo } from './command.js';

export const BACKUP_USAGE = 'backup --out FILE [--force]';
/** --force: replace FILE, and back up a DATA_DIR whose database looks open (after a crash). */
export const RESTORE_USAGE = 'restore FILE [--force]';

/** Where operators of a PostgreSQL deployment read how to back up and restore (pg_dump, base backup + WAL). */
export const POSTGRES_RUNBOOK = 'docs/operations.md ("PostgreSQL backups")';

const FORMAT = 'smarthydro-backup';
const FORMAT_VERSION = 1;
const MANIFEST = 'smarthydro-backup.json';
const PGDATA = 'pgdata.tar.gz';
const SECRET_KEY = 'secret.key';

/** What a backup holds, written first in the archive and checked again after a restore. */
export interface BackupManifest {
  format: typeof FORMAT;
  version: number;
  created_at: string;
  /** The last applied migration: a restore into an older release refuses nothing, but says so. */
  migration: string | null;
  counts: StoreCounts;
  /** False when DATA_DIR held no secret.key (the key came from SECRET_KEY): the operator keeps it apart. */
  has_secret_key: boolean;
}

function human(bytes: number): string {
  return bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

function describe(c: StoreCounts): string {
  return `${c.clients} client(s), ${c.points} point(s), ${c.measurements.toLocaleString('en-US')} measurement(s), ` +
    `${c.dga_submissions} DGA submission(s) of which ${c.dga_receipts} with a receipt`;
}

function postgresRefusal(fail: (code: number, message: string) => number, what: 'backup' | 'restore'): number {
  return fail(
    EXIT.usage,
    `DATABASE_URL is set: this command ${what === 'backup' ? 'backs up' : 'restores'} the embedded store (PGlite under DATA_DIR) only. ` +
      `For PostgreSQL use pg_dump / pg_restore, or a base backup with WAL archiving: see ${POSTGRES_RUNBOOK}`,
  );
}

/**
 * `smarthydro backup --out FILE`: the embedded store (PGlite's data directory) and DATA_DIR/secret.key in
 * one tar file. Run it while the platform is stopped: an embedded database belongs to one process.
 */
export async function backupCommand(args: string[], deps: { config: Config; io?: CommandIo }): Promise<number> {
  const started = startCommand('backup', BACKUP_USAGE, args, { out: { type: 'string' }, force: { type: 'boolean', default: false } }, deps.io);
  if (typeof started === 'number') return started;
  const { io, fail, parsed } = started;
  const cfg = deps.config;
  if (cfg.databaseUrl) return postgresRefusal(fail, 'backup');
  const out = parsed.values.out;
  if (!out || parsed.positionals.length > 0) return fail(EXIT.usage, `give the file to write with --out\nusage: smarthydro ${BACKUP_USAGE}`);
  if (existsSync(out) && !parsed.values.force) return fail(EXIT.cannotCreate, `${out} exists; choose another name or add --force to replace it`);
  const dir = embeddedDataPath(cfg.dataDir);
  if (!existsSync(dir) || readdirSync(dir).length === 0) return fail(EXIT.noInput, `${dir} holds no database; nothing to back up (is DATA_DIR right?)`);

  const inUse = inUseRefusal(dir, parsed.values.force, fail);
  if (inUse !== undefined) return inUse;

  const began = performance.now();
  io.err.write(`opening the embedded database in ${dir} …\n`);
  const db = await PgliteDb.open(dir);
  let manifest: BackupManifest;
  let dump: Buffer;
  try {
    const census = new StoreCensusRepository(db);
    const counts = await census.counts();
    io.err.write(`found ${describe(counts)}\ndumping the data directory …\n`);
    dump = Buffer.from(await (await db.dumpDataDir()).arrayBuffer());
    const keyFile = join(cfg.dataDir, SECRET_KEY);
    manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      created_at: new Date().toISOString(),
      migration: await census.lastMigration(),
      counts,
      has_secret_key: existsSync(keyFile),
    };
  } finally {
    await db.close();
  }
  const entries: TarEntry[] = [
    { name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2) + '\n') },
    { name: PGDATA, data: dump },
  ];
  if (manifest.has_secret_key) entries.push({ name: SECRET_KEY, data: await readFile(join(cfg.dataDir, SECRET_KEY)) });
  // Written beside the target and renamed, so a crash never leaves a half backup under the final name.
  const partial = `${out}.partial`;
  const size = await writeTar(partial, entries);
  await rename(partial, out);
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  io.out.write(`backup written to ${out} (${human(size)} in ${seconds} s): ${describe(manifest.counts)}\n`);
  io.out.write(
    manifest.has_secret_key
      ? 'it holds DATA_DIR/secret.key (the key of stored provider and DGA credentials): keep the file as secret as that key\n'
      : 'DATA_DIR holds no secret.key (SECRET_KEY comes from the environment): keep that key with the backup, it decrypts stored credentials\n',
  );
  return 0;
}

/**
 * `smarthydro restore FILE`: a backup into DATA_DIR. Refuses a DATA_DIR that already holds a database
 * unless `--force` (which replaces it), then checks that the restored counts are the backed-up ones.
 */
export async function restoreCommand(args: string[], deps: { config: Config; io?: CommandIo }): Promise<number> {
  const started = startCommand('restore', RESTORE_USAGE, args, { force: { type: 'boolean', default: false } }, deps.io);
  if (typeof started === 'number') return started;
  const { io, fail, parsed } = started;
  const cfg = deps.config;
  if (cfg.databaseUrl) return postgresRefusal(fail, 'restore');
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) return fail(EXIT.usage, `give exactly one backup file\nusage: smarthydro ${RESTORE_USAGE}`);
  const size = await stat(file).then((s) => (s.isFile() ? s.size : -1), () => null);
  if (size === null) return fail(EXIT.noInput, `${file}: no such file; check the path`);
  if (size < 0) return fail(EXIT.noInput, `${file} is not a file`);

  io.err.write(`reading ${file} (${human(size)}) …\n`);
  let entries: Map<string, Buffer>;
  try {
    entries = readTar(await readFile(file));
  } catch (err) {
    return fail(EXIT.data, `${file} is not a SmartHydro backup (${(err as Error).message})`);
  }
  const manifest = parseManifest(entries.get(MANIFEST));
  const dump = entries.get(PGDATA);
  if (!manifest || !dump) return fail(EXIT.data, `${file} is not a SmartHydro backup (no ${manifest ? PGDATA : MANIFEST} in it)`);
  if (manifest.version > FORMAT_VERSION) {
    return fail(EXIT.data, `${file} is a backup of format ${manifest.version}; this release reads format ${FORMAT_VERSION}: restore it with a newer smarthydro`);
  }

  const dir = embeddedDataPath(cfg.dataDir);
  const occupied = existsSync(dir) && readdirSync(dir).length > 0;
  if (occupied) {
    const inUse = inUseRefusal(dir, parsed.values.force, fail);
    if (inUse !== undefined) return inUse;
  }
  if (occupied && !parsed.values.force) {
    return fail(
      EXIT.cannotCreate,
      `${dir} already holds a database; restoring would replace it. Back it up first (smarthydro backup --out …), ` +
        'then run restore again with --force, or point DATA_DIR at an empty directory',
    );
  }
  // Restored beside the target and checked there first: a backup that does not load, or loads other counts,
  // leaves DATA_DIR as it was.
  const staging = `${dir}.restoring`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  io.err.write(`restoring the backup of ${manifest.created_at} into ${staging} …\n`);
  let counts: StoreCounts;
  try {
    const db = await PgliteDb.open(staging, { loadDataDir: new Blob([new Uint8Array(dump)]) });
    try {
      counts = await new StoreCensusRepository(db).counts();
    } finally {
      await db.close();
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    return fail(EXIT.data, `${file} did not load (${(err as Error).message}); DATA_DIR is unchanged`);
  }
  const mismatched = (Object.keys(manifest.counts) as (keyof StoreCounts)[]).filter((k) => manifest.counts[k] !== counts[k]);
  if (mismatched.length > 0) {
    await rm(staging, { recursive: true, force: true });
    return fail(
      EXIT.data,
      `the restored store differs from the backup (${mismatched.map((k) => `${k}: ${counts[k]} restored, ${manifest.counts[k]} backed up`).join('; ')}); ` +
        'DATA_DIR is unchanged: restore from another backup',
    );
  }
  if (occupied) io.err.write(`--force: replacing the database in ${dir} …\n`);
  const replaced = `${dir}.replaced`;
  await rm(replaced, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, replaced);
  await rename(staging, dir);
  await rm(replaced, { recursive: true, force: true });

  const key = entries.get(SECRET_KEY);
  const keyFile = join(cfg.dataDir, SECRET_KEY);
  // The configuration read the key from this file unless SECRET_KEY was set in the environment.
  const keyFromEnvironment = cfg.secretKey !== (existsSync(keyFile) ? (await readFile(keyFile, 'utf8')).trim() : undefined);
  if (key) await writeFile(keyFile, key, { mode: 0o600 });

  io.out.write(`restored ${file} into ${cfg.dataDir}: ${describe(counts)} (the same as backed up)\n`);
  if (!key) {
    io.out.write('the backup holds no secret.key: start with SECRET_KEY set to the key the platform used, or stored credentials will not decrypt\n');
  } else if (keyFromEnvironment && cfg.secretKey !== key.toString('utf8').trim()) {
    io.out.write('SECRET_KEY in the environment differs from the restored secret.key and wins over it: unset it, or stored credentials will not decrypt\n');
  }
  io.out.write('start the platform as usual; pending migrations are applied on start\n');
  return 0;
}

/**
 * An open embedded database holds `postmaster.pid` in its directory (removed on a clean close). Reading or
 * replacing it under a running platform gives an inconsistent copy or damages it; after a crash the file stays,
 * and `--force` goes ahead.
 */
function inUseRefusal(dir: string, force: boolean | undefined, fail: (code: number, message: string) => number): number | undefined {
  if (force || !existsSync(join(dir, 'postmaster.pid'))) return undefined;
  return fail(
    EXIT.inUse,
    `the embedded database in ${dir} is open (postmaster.pid): stop the platform first. ` +
      'If nothing uses it (the platform stopped abnormally), add --force',
  );
}

function parseManifest(data: Buffer | undefined): BackupManifest | undefined {
  if (!data) return undefined;
  try {
    const m = JSON.parse(data.toString('utf8')) as Partial<BackupManifest>;
    if (m.format !== FORMAT || typeof m.version !== 'number' || typeof m.counts !== 'object' || m.counts === null) return undefined;
    return m as BackupManifest;
  } catch {
    return undefined;
  }
}

// A plain POSIX (ustar) archive, so `tar tvf FILE` lists a backup and `tar xf` unpacks it by hand.

interface TarEntry {
  name: string;
  data: Buffer;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, size: number, mtime: number): Buffer {
  const header = Buffer.alloc(BLOCK, 0);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(0o600, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(mtime, 12), 136, 'ascii');
  header.write(' '.repeat(8), 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}

/** Writes the entries one after another (no second copy of the database dump in memory); returns the file size. */
async function writeTar(path: string, entries: readonly TarEntry[]): Promise<number> {
  const file = await open(path, 'w', 0o600);
  let size = 0;
  const put = async (b: Buffer) => {
    await file.write(b);
    size += b.length;
  };
  try {
    const mtime = Math.floor(Date.now() / 1000);
    for (const e of entries) {
      await put(tarHeader(e.name, e.data.length, mtime));
      await put(e.data);
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) await put(Buffer.alloc(pad, 0));
    }
    await put(Buffer.alloc(BLOCK * 2, 0));
    await file.sync();
  } finally {
    await file.close();
  }
  return size;
}

function readTar(archive: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const header = archive.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) return entries;
    if (header.toString('ascii', 257, 262) !== 'ustar') throw new Error(`no tar header at byte ${at}`);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (sum !== parseInt(header.toString('ascii', 148, 156), 8)) throw new Error(`damaged tar header at byte ${at}`);
    const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(header.toString('ascii', 124, 136), 8);
    const start = at + BLOCK;
    if (!Number.isSafeInteger(size) || start + size > archive.length) throw new Error(`${name} is cut short`);
    entries.set(name, archive.subarray(start, start + size));
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new Error('the archive has no end');
}
