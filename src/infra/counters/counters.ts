/**
 * Short-lived counters and holds shared by every process of a deployment (login failures, lockouts):
 * Redis when configured, this process's memory otherwise. Keys expire on their own.
 */
export interface Counters {
  readonly kind: 'memory' | 'redis';
  /** Adds one to `key` and keeps it for `ttlMs` from now; returns the new count. */
  add(key: string, ttlMs: number): Promise<number>;
  /** Sets `key` for `ttlMs` from now (a hold such as a lockout). */
  hold(key: string, ttlMs: number): Promise<void>;
  /** Milliseconds until `key` expires; 0 when it does not exist. */
  remainingMs(key: string): Promise<number>;
  delete(...keys: string[]): Promise<void>;
}
