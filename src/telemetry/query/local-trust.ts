import { ALL_NAMESPACES, type Cache } from '../../infra/cache/index.js';

/**
 * When a process may use its own copy of a cache entry without asking the cache: for `ttlMs` after it
 * checked, unless an invalidation of the entry's namespace was announced meanwhile (the cache calls
 * `onInvalidate` in every process, at once for the in-process cache and over pub/sub for Redis). A
 * check that raced with an invalidation does not earn trust. While announcements are not arriving
 * (Redis pub/sub down) nothing is trusted, and when they resume every earlier grant is void, since
 * what was announced in between is lost.
 */
export class LocalTrust {
  /** Invalidations seen per namespace. */
  private readonly epochs = new Map<string, number>();
  /** Times announcements resumed after a gap: a grant from before does not count. */
  private era = 0;
  private readonly grants = new Map<string, { at: number; epoch: number; era: number }>();

  constructor(
    private readonly cache: Cache,
    /** Whether a namespace holds entries this process keeps copies of. */
    private readonly watches: (ns: string) => boolean,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    cache.onInvalidate((ns) => {
      if (ns === ALL_NAMESPACES) this.era++;
      else if (this.watches(ns)) this.epochs.set(ns, (this.epochs.get(ns) ?? 0) + 1);
    });
  }

  trusted(ns: string, field: string): boolean {
    const g = this.grants.get(`${ns}\u0000${field}`);
    return (
      g !== undefined && g.at > this.now() && g.epoch === (this.epochs.get(ns) ?? 0) && g.era === this.era && this.cache.announcing()
    );
  }

  /** Call before reading the cache; pass the result to `grant` once the local copy is up to date. */
  begin(ns: string): { epoch: number; era: number } {
    return { epoch: this.epochs.get(ns) ?? 0, era: this.era };
  }

  grant(ns: string, field: string, from: { epoch: number; era: number }): void {
    if ((this.epochs.get(ns) ?? 0) !== from.epoch || this.era !== from.era || !this.cache.announcing()) return;
    this.grants.set(`${ns}\u0000${field}`, { at: this.now() + this.ttlMs, ...from });
  }
}
