import type { Db } from './db.js';

/**
 * Errors that mean "the server is not there yet" (down, starting, its name not in DNS yet, out of slots):
 * a role started before its database — a fresh `docker compose up`, a Kubernetes pod scheduled before the
 * PostgreSQL one — waits for it. Anything else (a wrong password, a database that does not exist) does not
 * get better by waiting.
 */
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/** cannot_connect_now (starting up, shutting down, in recovery), too_many_connections, admin_shutdown, crash_shutdown. */
const TRANSIENT_SQLSTATE = new Set(['57P03', '53300', '57P01', '57P02']);

export function isTransientConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (TRANSIENT_NET.has(code) || TRANSIENT_SQLSTATE.has(code))) return true;
  // pg's own connection timeout has no code; a database closed to connections (ALLOW_CONNECTIONS false,
  // a restore in progress) answers 55000, a code other statements share, hence the message.
  return err instanceof Error && /timeout expired|Connection terminated|is not currently accepting connections/i.test(err.message);
}

/** SQLSTATEs of a refused login or a missing database: the connection string is wrong. */
const CONNECT_REFUSED_SQLSTATE = new Set(['28P01', '28000', '3D000']);

/** A failure to connect at all (transient or refused), as opposed to an error of a statement. */
export function isDatabaseConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isTransientConnectError(err) || (typeof code === 'string' && CONNECT_REFUSED_SQLSTATE.has(code));
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

export interface WaitOptions {
  /** Called before each wait with the error and the delay. */
  onRetry: (info: { attempt: number; delayMs: number; err: unknown }) => void;
  /** Delays grow from `firstDelayMs` (doubling) up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, waiting through errors `isTransient` accepts with a growing delay, for
 * as long as it takes (an orchestrator decides when to give up); any other error is thrown at once.
 */
export async function waitUntilUp<T>(attempt: () => Promise<T>, isTransient: (err: unknown) => boolean, opts: WaitOptions): Promise<T> {
  const first = opts.firstDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 5_000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err)) throw err;
      const delayMs = Math.min(max, first * 2 ** Math.min(n - 1, 16));
      opts.onRetry({ attempt: n, delayMs, err });
      await sleep(delayMs);
    }
  }
}

/** Resolves once the database answers `SELECT 1`, waiting through a server that is down or starting. */
export async function waitForDatabase(db: Db, opts: WaitOptions): Promise<void> {
  await waitUntilUp(() => db.query('SELECT 1'), isTransientConnectError, opts);
}
