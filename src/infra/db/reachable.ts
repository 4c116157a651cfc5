import { isTransientNetError, waitUntilUp, type WaitOptions } from '../../lib/wait-until-up.js';
import type { Db } from './db.js';

/** cannot_connect_now (starting up, shutting down, in recovery), too_many_connections, admin_shutdown, crash_shutdown. */
const TRANSIENT_SQLSTATE = new Set(['57P03', '53300', '57P01', '57P02']);

/**
 * Errors that mean "the database is not there yet" (down, starting, its name not in DNS yet, out of slots):
 * a role started before its database — a fresh `docker compose up`, a Kubernetes pod scheduled before the
 * PostgreSQL one — waits for it. Anything else (a wrong password, a database that does not exist) does not
 * get better by waiting.
 */
export function isTransientConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (isTransientNetError(err) || (typeof code === 'string' && TRANSIENT_SQLSTATE.has(code))) return true;
  // pg's own connection timeout has no code; a database closed to connections (ALLOW_CONNECTIONS false,
  // a restore in progress) answers 55000, a code other statements share, hence the message.
  return err instanceof Error && /timeout expired|Connection terminated|is not currently accepting connections/i.test(err.message);
}

/** SQLSTATEs of a refused login or a missing database: the connection string is wrong. */
const CONNECT_REFUSED_SQLSTATE = new Set(['28P01', '28000', '3D000']);

/**
 * A failure to reach the database at `databaseUrl` (transient or refused), as opposed to an error of a
 * statement or of another server: a network error counts only when it names the database's host or port.
 */
export function isDatabaseConnectError(err: unknown, databaseUrl: string): boolean {
  const e = err as { code?: unknown; port?: unknown; hostname?: unknown; address?: unknown; errors?: unknown } | null;
  if (err instanceof AggregateError && Array.isArray(e?.errors)) return e.errors.some((inner) => isDatabaseConnectError(inner, databaseUrl));
  const code = e?.code;
  if (typeof code === 'string' && (CONNECT_REFUSED_SQLSTATE.has(code) || TRANSIENT_SQLSTATE.has(code))) return true;
  if (isTransientNetError(err)) {
    let host = '';
    let port = 5432;
    try {
      const u = new URL(databaseUrl);
      host = u.hostname;
      port = Number(u.port || 5432);
    } catch {
      return false;
    }
    return e?.port === port || e?.hostname === host || (e?.address === host && e?.port === undefined);
  }
  return err instanceof Error && /is not currently accepting connections|timeout expired/i.test(err.message);
}

/** What to do about a connection error, for the operator. */
export function connectFix(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '28P01' || code === '28000') return 'the user or password in DATABASE_URL is refused; fix DATABASE_URL';
  if (code === '3D000') return 'the database named in DATABASE_URL does not exist; create it (createdb) or fix DATABASE_URL';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host in DATABASE_URL is not known (yet); check DATABASE_URL';
  return 'start PostgreSQL or fix DATABASE_URL';
}

/** `host:port/database` of a connection string, without user or password (for logs). */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** Resolves once the database answers `SELECT 1`, waiting through a server that is down or starting. */
export async function waitForDatabase(db: Db, opts: WaitOptions): Promise<void> {
  await waitUntilUp(() => db.query('SELECT 1'), isTransientConnectError, opts);
}
