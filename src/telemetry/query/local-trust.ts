import type { Cache } from '../../infra/cache/index.js';

/**
 * When a process may use its own copy of a cache entry without asking the cache: for `ttlMs` after it
 * checked, unless an invalidation of the entry's namespace was announced meanwhile (the cache calls
 * `onInvalidate` in every process, at once for the in-process cache and over pub/sub for Redis). A
 * check that raced with an invalidation does not earn trust. A lost announcement (Redis reconnecting)
 * costs at most `ttlMs` of staleness.
 */
export class LocalTrust {
  /** Invalidations seen per namespace. */
  private readonly epochs = new Map<string, number>();
  private readonly grants = new Map<string, { at: number; epoch: number }>();

  constructor(
    cache: Cache,
    /** Whether a namespace holds entries this process keeps copies of. */
    private readonly watches: (ns: string) => boolean,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    cache.onInvalidate((ns) => {
      if (this.watches(ns)) this.epochs.set(ns, (this.epochs.get(ns) ?? 0) + 1);
    });
  }

  trusted(ns: string, field: string): boolean {
    const g = this.grants.get(`${ns}\u0000${field}`);
    return g !== undefined && g.at > this.now() && g.epoch === (this.epochs.get(ns) ?? 0);
  }

  /** Call before reading the cache; pass the result to `grant` once the local copy is up to date. */
  begin(ns: string): number {
    return this.epochs.get(ns) ?? 0;
  }

  grant(ns: string, field: string, epoch: number): void {
    if ((this.epochs.get(ns) ?? 0) === epoch) this.grants.set(`${ns}\u0000${field}`, { at: this.now() + this.ttlMs, epoch });
  }
}
