import type { Counters } from '../infra/counters/index.js';

/** Failed logins of one account allowed before it is locked. */
export const FREE_LOGIN_FAILURES = 5;
const FIRST_LOCKOUT_MS = 30_000;
const MAX_LOCKOUT_MS = 60 * 60_000;
/** Failures are forgotten this long after the last one (or at once after a successful login). */
const FAILURE_MEMORY_MS = 24 * 60 * 60_000;

/**
 * How long an account stays locked after its `failures`-th failed login in a row: nothing for the first
 * four, 30 s after the fifth, then doubling with each further failure up to one hour.
 */
export function lockoutMs(failures: number): number {
  if (failures < FREE_LOGIN_FAILURES) return 0;
  return Math.min(FIRST_LOCKOUT_MS * 2 ** (failures - FREE_LOGIN_FAILURES), MAX_LOCKOUT_MS);
}

/**
 * Failed logins per account (the normalised e-mail, whether or not such a user exists, so a lockout
 * reveals nothing), kept in the shared counters so every API process sees the same lockout.
 */
export class LoginLockout {
  constructor(private readonly counters: Counters) {}

  /** Milliseconds the account is still locked for; 0 when a login may be tried. */
  lockedFor(account: string): Promise<number> {
    return this.counters.remainingMs(`login-lock|${account}`);
  }

  /** Counts a failure and locks the account when it has failed too often; returns the lockout now in force (ms). */
  async failed(account: string): Promise<number> {
    const failures = await this.counters.add(`login-fail|${account}`, FAILURE_MEMORY_MS);
    const ms = lockoutMs(failures);
    if (ms > 0) await this.counters.hold(`login-lock|${account}`, ms);
    return ms;
  }

  async succeeded(account: string): Promise<void> {
    await this.counters.delete(`login-fail|${account}`, `login-lock|${account}`);
  }
}
