import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedTenant, testConfig } from '../support/context.js';
import { configureDgaPoint, FakeClock, insertMeasurements, wellSeries } from '../support/dga-fixtures.js';
import { startDgaSimulator, type RunningDgaSimulator } from '../../src/dga/simulator.js';
import { backupCommand, restoreCommand } from '../../src/cli/backup.command.js';
import { StoreCensusRepository, type StoreCounts } from '../../src/infra/db/store-census.repository.js';
import { PgliteDb } from '../../src/infra/db/pglite.js';
import type { Config } from '../../src/config.js';

/** `smarthydro backup` / `restore` on an embedded store: back up, wipe, restore, the same rows and receipts. */
const TZ = 'Etc/GMT+4';
let dir: string;
let cfg: Config;
let sim: RunningDgaSimulator;
let before: { counts: StoreCounts; receipts: string[]; key: string };
let samples = 0;

function sink() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { stream, text: () => text };
}

async function run(command: typeof backupCommand, args: string[], config: Config = cfg) {
  const out = sink();
  const err = sink();
  const code = await command(args, { config, io: { out: out.stream, err: err.stream, tty: false } });
  return { code, out: out.text(), err: err.text() };
}

async function snapshot(dataDir: string): Promise<{ counts: StoreCounts; receipts: string[] }> {
  const db = await PgliteDb.open(join(dataDir, 'pgdata'));
  try {
    const receipts = await db.query<{ receipt: string }>('SELECT receipt FROM dga_submissions WHERE receipt IS NOT NULL ORDER BY id');
    return { counts: await new StoreCensusRepository(db).counts(), receipts: receipts.rows.map((r) => r.receipt) };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smarthydro-backup-'));
  const clock = new FakeClock(Date.parse('2026-07-01T11:07:00Z'));
  sim = await startDgaSimulator({ clock, timeZone: TZ });
  cfg = testConfig({ dataDir: join(dir, 'data'), dgaApiUrl: sim.url, reportTimezone: TZ });
  const key = 'k'.repeat(64);
  const t = await createTestContext({ config: cfg, memoryDb: false });
  try {
    await seedTenant(t, 'backup-a', 2);
    const { points } = await seedTenant(t, 'backup-b', 1);
    const pointId = points[0]!;
    await configureDgaPoint(t.c, pointId, { code: 'OB-0603-901', startDate: '2026-07-01' });
    const series = wellSeries({ from: new Date('2026-07-01T10:00:00Z'), to: new Date('2026-07-01T11:05:00Z') }).all;
    samples = series.length;
    await insertMeasurements(t.c.db, pointId, series);
    const result = await t.c.dgaReporter({ clock, minSpacingMs: 0 }).tick();
    expect(result.outcomes).toEqual(['sent', 'sent']);
  } finally {
    await t.close();
  }
  writeFileSync(join(cfg.dataDir, 'secret.key'), key + '\n', { mode: 0o600 });
  before = { ...(await snapshot(cfg.dataDir)), key };
}, 120_000);
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('smarthydro backup and restore (embedded)', { timeout: 120_000 }, () => {
  it('the data set is real: clients, points, measurements and DGA receipts', () => {
    expect(before.counts.clients).toBe(2);
    expect(before.counts.points).toBe(3);
    expect(before.counts.measurements).toBe(samples);
    expect(samples).toBeGreaterThan(10);
    expect(before.counts.dga_receipts).toBe(2);
    expect(before.receipts).toHaveLength(2);
    expect(new Set(before.receipts).size).toBe(2);
  });

  it('backs up, and a wiped DATA_DIR restored from the file has the same counts, receipts and secret key', async () => {
    const file = join(dir, 'store.backup');
    const b = await run(backupCommand, ['--out', file]);
    expect(b.err).toMatch(/dumping the data directory/);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/backup written to .*: 2 client\(s\), 3 point\(s\), .* 2 with a receipt/);
    expect(existsSync(`${file}.partial`)).toBe(false);
    // A plain tar: the usual tools list it.
    expect(execFileSync('tar', ['tf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(['smarthydro-backup.json', 'pgdata.tar.gz', 'secret.key']);

    rmSync(cfg.dataDir, { recursive: true, force: true });
    const r = await run(restoreCommand, [file]);
    expect(r.err).toBe(`reading ${file} (${(readFileSync(file).length / 1024 ** 2).toFixed(1)} MB) …\nrestoring the backup of ${r.err.match(/backup of (\S+)/)![1]} into ${join(cfg.dataDir, 'pgdata')}.restoring …\n`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\(the same as backed up\)/);
    const after = await snapshot(cfg.dataDir);
    expect(after).toEqual({ counts: before.counts, receipts: before.receipts });
    expect(readFileSync(join(cfg.dataDir, 'secret.key'), 'utf8').trim()).toBe(before.key);
  });

  it('restore refuses a DATA_DIR that holds a database unless --force, and then replaces it', async () => {
    const file = join(dir, 'again.backup');
    expect((await run(backupCommand, ['--out', file])).code).toBe(0);
    const refused = await run(restoreCommand, [file]);
    expect(refused.code).toBe(73);
    expect(refused.err).toMatch(/already holds a database; restoring would replace it.*--force/);

    // A change after the backup disappears with --force.
    const db = await PgliteDb.open(join(cfg.dataDir, 'pgdata'));
    await db.query("INSERT INTO clients (name, rut) VALUES ('after the backup', '11111111-1')");
    await db.close();
    expect((await snapshot(cfg.dataDir)).counts.clients).toBe(3);
    const forced = await run(restoreCommand, [file, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.err).toMatch(/--force: replacing the database/);
    expect(await snapshot(cfg.dataDir)).toEqual({ counts: before.counts, receipts: before.receipts });
  });

  it('a backup whose restored counts differ from its manifest is refused and leaves DATA_DIR as it was', async () => {
    const good = readFileSync(join(dir, 'store.backup'));
    const at = good.indexOf('"clients": 2,');
    expect(at).toBeGreaterThan(0);
    const tampered = Buffer.from(good);
    tampered.write('"clients": 7,', at, 'utf8');
    writeFileSync(join(dir, 'tampered.backup'), tampered);
    const r = await run(restoreCommand, [join(dir, 'tampered.backup'), '--force']);
    expect(r.code).toBe(65);
    expect(r.err).toMatch(/the restored store differs from the backup \(clients: 2 restored, 7 backed up\); DATA_DIR is unchanged/);
    expect(existsSync(join(cfg.dataDir, 'pgdata.restoring'))).toBe(false);
    expect(await snapshot(cfg.dataDir)).toEqual({ counts: before.counts, receipts: before.receipts });
  });

  it('both refuse while the database is open in another process (postmaster.pid), unless --force', async () => {
    const file = join(dir, 'open.backup');
    const db = await PgliteDb.open(join(cfg.dataDir, 'pgdata'));
    try {
      const b = await run(backupCommand, ['--out', file]);
      expect(b.code).toBe(75);
      expect(b.err).toMatch(/is open \(postmaster\.pid\): stop the platform first/);
      expect(existsSync(file)).toBe(false);
      const r = await run(restoreCommand, [join(dir, 'store.backup')]);
      expect(r.code).toBe(75);
      expect(r.err).toMatch(/is open \(postmaster\.pid\)/);
    } finally {
      await db.close();
    }
    expect((await run(backupCommand, ['--out', file])).code).toBe(0);
  });

  it('backup refuses to overwrite a file, and an empty DATA_DIR; restore refuses a file that is not a backup', async () => {
    const file = join(dir, 'exists.backup');
    writeFileSync(file, 'not a backup');
    expect((await run(backupCommand, ['--out', file])).err).toMatch(/exists; choose another name or add --force/);
    expect((await run(backupCommand, [])).code).toBe(2);
    const empty = testConfig({ dataDir: join(dir, 'empty') });
    const none = await run(backupCommand, ['--out', join(dir, 'none.backup')], empty);
    expect(none.code).toBe(66);
    expect(none.err).toMatch(/holds no database; nothing to back up/);
    const bad = await run(restoreCommand, [file], empty);
    expect(bad.code).toBe(65);
    expect(bad.err).toMatch(/is not a SmartHydro backup/);
    expect((await run(restoreCommand, [join(dir, 'missing.backup')], empty)).code).toBe(66);
  });

  it('with DATABASE_URL both commands point at the PostgreSQL runbook and exit non-zero', async () => {
    const pg = { ...cfg, databaseUrl: 'postgres://postgres@127.0.0.1:5432/smarthydro', embedded: false };
    for (const [command, args] of [[backupCommand, ['--out', join(dir, 'pg.backup')]], [restoreCommand, [join(dir, 'store.backup')]]] as const) {
      const r = await run(command, [...args], pg);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/DATABASE_URL is set.*pg_dump.*docs\/operations\.md/);
    }
    expect(existsSync(join(dir, 'pg.backup'))).toBe(false);
  });
});
