import { describe, expect, it } from 'vitest';
import type { Db } from './db.js';
import { connectFix, describeDatabaseUrl, isDatabaseConnectError, waitForDatabase } from './reachable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

/** A database whose `SELECT 1` fails with the given errors, one per call, then answers. */
function failingThen(errors: Error[]): Db & { calls: number } {
  const db = {
    calls: 0,
    async query() {
      const err = errors[db.calls++];
      if (err) throw err;
      return { rows: [], rowCount: 1 };
    },
  };
  return db as unknown as Db & { calls: number };
}

describe('waitForDatabase', () => {
  it('waits through a server that is down or starting, with growing delays up to the cap', async () => {
    const db = failingThen([coded('ECONNREFUSED'), coded('57P03', 'the database system is starting up'), new Error('database "x" is not currently accepting connections'), coded('ENOTFOUND')]);
    const delays: number[] = [];
    await waitForDatabase(db, { onRetry: (r) => delays.push(r.delayMs), sleep: async () => undefined, firstDelayMs: 500, maxDelayMs: 2_000 });
    expect(db.calls).toBe(5);
    expect(delays).toEqual([500, 1_000, 2_000, 2_000]);
  });

  it('throws at once on a refused login or a missing database: waiting would not help', async () => {
    for (const code of ['28P01', '3D000']) {
      const db = failingThen([coded(code)]);
      await expect(waitForDatabase(db, { onRetry: () => undefined, sleep: async () => undefined })).rejects.toMatchObject({ code });
      expect(db.calls).toBe(1);
    }
  });
});

describe('connection errors for the operator', () => {
  it('name the fix, and never the password', () => {
    expect(connectFix(coded('28P01'))).toContain('fix DATABASE_URL');
    expect(connectFix(coded('3D000'))).toContain('does not exist');
    expect(connectFix(coded('ECONNREFUSED'))).toBe('start PostgreSQL or fix DATABASE_URL');
    expect(describeDatabaseUrl('postgres://app:s3cret@db.internal:6432/smarthydro')).toBe('db.internal:6432/smarthydro');
    expect(describeDatabaseUrl('postgres://app:s3cret@db/smarthydro')).not.toContain('s3cret');
  });

  it('blame the database only for errors that name it', () => {
    const url = 'postgres://app:pw@db.internal:6432/smarthydro';
    const refused = (port: number) => Object.assign(coded('ECONNREFUSED'), { address: '10.0.0.5', port });
    expect(isDatabaseConnectError(refused(6432), url)).toBe(true);
    expect(isDatabaseConnectError(new AggregateError([refused(6432), refused(6432)]), url)).toBe(true);
    // Mosquitto or Kafka refusing: not the database.
    expect(isDatabaseConnectError(refused(1883), url)).toBe(false);
    expect(isDatabaseConnectError(Object.assign(coded('ENOTFOUND'), { hostname: 'db.internal' }), url)).toBe(true);
    expect(isDatabaseConnectError(Object.assign(coded('ENOTFOUND'), { hostname: 'mqtt.internal' }), url)).toBe(false);
    expect(isDatabaseConnectError(coded('3D000'), url)).toBe(true);
    expect(isDatabaseConnectError(coded('23505'), url)).toBe(false);
  });
});
